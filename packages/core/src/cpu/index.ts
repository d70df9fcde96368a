export { createCpuBackend, cpuBackend } from './cpu-backend.js';
export { cpuKernelsSupported } from './cpu-instance.js';
