export { createCpuBackend, cpuBackend } from './cpu-backend.js';
export { cpuKernelsSupported } from './kernels-supported.js';
