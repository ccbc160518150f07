// What a backend says about itself and its devices (native/addon.cc's facts()). Plain types.

export interface DeviceFacts {
  index: number;
  vendor: string;
  name: string;
  pciId: string;
  pciBusId: string;
  kernelDriver: string;
  memoryBytes: number;
  peers: number[];
  extra: Record<string, string>;
}

export interface BackendFacts {
  backend: string;
  runtimes: Record<string, string>;
  extra: Record<string, string>;
  devices: DeviceFacts[];
}
