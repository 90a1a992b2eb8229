// `npm run demo`: placeholder until the harness lands.
console.log('demo: not wired yet');
