// The link probe's parameters (it reads no `expect:` keys): the only place they are declared.
import { BACKEND_OPTION_PARAMS, BYTES_SWEEP, int, type ExpectSpec, type ParamSpec } from '../params.js';

export const P2P_PARAMS = {
  ...BYTES_SWEEP,
  devices: { schema: int(2, 64, 'number of participating devices (0 .. devices-1; on the host backend also the number simulated)') },
  bidirectional: { schema: { type: 'boolean', description: 'copy both ways at once' } },
  contextDevices: BACKEND_OPTION_PARAMS.contextDevices,
  deviceType: BACKEND_OPTION_PARAMS.deviceType,
  peerKernels: BACKEND_OPTION_PARAMS.peerKernels,
  peerAccess: BACKEND_OPTION_PARAMS.peerAccess,
} satisfies Record<string, ParamSpec>;

export const P2P_EXPECT = {} satisfies Record<string, ExpectSpec>;
