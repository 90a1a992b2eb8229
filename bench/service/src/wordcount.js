// The benchmark's word count: the example, in JavaScript.
exports.map = (record, emit) => {
  for (const w of record.toLowerCase().match(/[a-z]+/g) ?? []) emit(w, 1);
};
exports.reduce = (key, values) => values.reduce((a, b) => a + b, 0);
