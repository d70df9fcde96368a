/** The files the page understands, picked by name from whatever the user dropped or chose. */
export interface PickedFiles {
  readonly config?: File;
  readonly weights?: File;
  readonly base?: File;
  /** PEFT's expected.safetensors of a golden case (optional): the page then compares the output with PEFT's. */
  readonly expected?: File;
}

/** Picks `adapter_config.json`, `adapter_model.safetensors` and an optional `base.safetensors` by file name. */
export function pickFiles(files: Iterable<File>): PickedFiles {
  let config: File | undefined;
  let weights: File | undefined;
  let base: File | undefined;
  let expected: File | undefined;
  for (const f of files) {
    if (f.name === 'adapter_config.json') config = f;
    else if (f.name === 'adapter_model.safetensors') weights = f;
    else if (f.name === 'expected.safetensors') expected = f;
    else if (f.name.endsWith('.safetensors')) base = f;
  }
  return {
    ...(config ? { config } : {}),
    ...(weights ? { weights } : {}),
    ...(base ? { base } : {}),
    ...(expected ? { expected } : {}),
  };
}
