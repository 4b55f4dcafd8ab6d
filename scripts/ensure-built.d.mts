/** Whether out/ holds a whole build that is not older than the sources. */
export function isBuilt(): boolean;
/** Builds the bundles if they are missing or older than the sources; exits the process if the build fails. */
export function ensureBuilt(): void;
