// bundle: filled by the plugins' issues.
export {};
