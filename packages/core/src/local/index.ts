// local: filled by the plugins' issues.
export {};
