import { adapterFromFiles, bankUsage, describeAdapter, VBLoRAError } from '@vblora/core';
import { drawHeatmap } from './heatmap.js';
import { runForward } from './forward.js';
import { pickFiles } from './read-files.js';
import { forwardTable, moduleRows, summaryRows, warningLines } from './render.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function open(files: Iterable<File>): Promise<void> {
  const status = $('status');
  const picked = pickFiles(files);
  if (picked.config === undefined || picked.weights === undefined) {
    status.className = 'error';
    status.textContent = 'Need adapter_config.json and adapter_model.safetensors.';
    return;
  }
  try {
    const t0 = performance.now();
    const weights = new Uint8Array(await picked.weights.arrayBuffer());
    const { adapter, warnings } = adapterFromFiles({ config: await picked.config.text(), weights });
    const report = describeAdapter(adapter);
    const loadMs = performance.now() - t0;
    $('summary-table').innerHTML = summaryRows(report, weights.byteLength);
    $('warnings').innerHTML = warningLines(report, warnings);
    $('modules').innerHTML = moduleRows(report);
    drawHeatmap($('heatmap') as HTMLCanvasElement, bankUsage(adapter));
    for (const id of ['summary', 'modules-section', 'heatmap-section']) $(id).hidden = false;
    if (picked.base !== undefined) {
      const f = await runForward(
        adapter,
        new Uint8Array(await picked.base.arrayBuffer()),
        picked.expected === undefined ? undefined : new Uint8Array(await picked.expected.arrayBuffer()),
      );
      $('forward').innerHTML = forwardTable(f);
      $('forward-section').hidden = false;
    }
    status.className = 'muted';
    status.textContent = `Loaded in ${loadMs.toFixed(1)} ms.`;
    status.dataset['state'] = 'loaded';
  } catch (err) {
    status.className = 'error';
    status.textContent =
      err instanceof VBLoRAError ? `${err.name}: ${err.message}` : `Unexpected error: ${String(err)}`;
    status.dataset['state'] = 'error';
  }
}

const input = $('files') as HTMLInputElement;
input.addEventListener('change', () => void open(input.files ?? []));
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void open(e.dataTransfer?.files ?? []);
});
