/** Version `gen` of `size` bytes: a file that is either one complete version or detectably broken. */
export function versionBytes(gen: number, size: number): Uint8Array;
/** The version number of a complete file, or -1 when the bytes are not exactly one version. */
export function versionOf(bytes: Uint8Array): number;
