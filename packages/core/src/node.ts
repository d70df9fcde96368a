/** Node-only helpers of @vblora/core (file system). @packageDocumentation */
export {};
