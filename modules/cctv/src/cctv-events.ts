// The event types cctv raises on the hub's event stream (declared in module.json's permissions).

export const CCTV_EVENT = {
  MOTION: 'module.cctv.motion',
  CAMERA_STATUS: 'module.cctv.camera_status',
} as const;
