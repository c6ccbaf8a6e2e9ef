// A gateway's claim at the hub (POST /api/v1/devices/claim): a one-time claim token for the
// gateway's own hub broker credentials. Used by `unibos gateway claim` and by the demo.

import { CliError } from './cli-error.ts';

export interface HubCredentials {
  url: string;
  username: string;
  password: string;
}

export async function claimGatewayAtHub(hubApi: string, token: string, gatewayId: string, name?: string): Promise<HubCredentials> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/v1/devices/claim', hubApi), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, deviceId: gatewayId, ...(name ? { name } : {}), capabilities: { radio: true } }),
    });
  } catch (err) {
    throw new CliError(`cannot reach the hub at ${hubApi}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string; mqtt?: HubCredentials };
  if (res.status !== 201 || !body.mqtt) throw new CliError(`the hub refused the claim (${res.status}): ${body.message ?? 'no reason given'}`);
  return body.mqtt;
}
