// functions: filled by the plugins' issues.
export {};
