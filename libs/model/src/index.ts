export { Adam, type AdamOptions, type AdamState } from "./adam.ts";
export { DEFAULT_VAE_CONFIG, type VaeConfig, validateVaeConfig } from "./config.ts";
export type { DenseGradient } from "./dense.ts";
export { initParams } from "./init-params.ts";
export { noiseFor } from "./noise.ts";
export { type ParamSpec, paramCount, paramLayout } from "./param-layout.ts";
export {
  BACKEND_CHOICES,
  type BackendChoice,
  BackendUnavailableError,
  type SelectBackendOptions,
  type SelectedBackend,
  installCommand,
  selectBackend,
} from "./select-backend.ts";
export { type LossSums, type PerSampleLoss, VaeModel, type VaeModelOptions } from "./vae-model.ts";
