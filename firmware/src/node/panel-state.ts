// Panel state: what the button, LED and buzzer (gpio/device-panel.ts) show of the node, and the
// button's presses handed on as typed calls. A node without a panel gets the same calls, answered
// by nothing.

import { sosStageRank, type AlertLevel } from '@unibos/mesh-protocol';
import type { ButtonPress, DevicePanel, SosState } from '../gpio/device-panel.ts';
import type { SosStatus } from './sos.ts';

export interface PanelView {
  gpsFix(): boolean;
  sos(): SosStatus;
}

export class PanelState {
  constructor(
    private readonly panel: DevicePanel | undefined,
    private readonly view: PanelView,
  ) {}

  get present(): boolean {
    return this.panel !== undefined;
  }

  /** Hands each button press to `handler` (a long press raises SOS, a short one says "I am safe"). */
  onPress(handler: (press: ButtonPress) => void): void {
    this.panel?.onButton(handler);
  }

  /** Opens the board and shows the current state; rejects while the board is missing. */
  async start(): Promise<void> {
    if (!this.panel) return;
    await this.panel.start();
    this.refresh();
  }

  async stop(): Promise<void> {
    await this.panel?.stop();
  }

  /** The LED follows the GPS fix and the SOS stage: call after either changes. */
  refresh(): void {
    this.panel?.setStatus({ gpsFix: this.view.gpsFix(), sos: panelSos(this.view.sos()) });
  }

  /** A frame went out or came in. */
  activity(): void {
    this.panel?.flashActivity();
  }

  /** An alert (or another node's SOS) arrived for the first time. */
  alertHeard(level: AlertLevel): void {
    this.panel?.alert(level === 'SOS' ? 'sos' : 'alert');
  }
}

/** The LED's view of an SOS: see firmware/README.md for the patterns. */
export function panelSos(s: SosStatus): SosState {
  if (s.stage === 'none' || s.stage === 'resolved' || s.cancelled) return 'none';
  if (s.resending || s.stage === 'sent') return 'pending';
  return sosStageRank(s.stage) >= sosStageRank('acknowledged') ? 'acknowledged' : 'taken';
}
