import { describe, expect, it } from 'vitest';
import { callControlTools, CallControlError, type CallCapabilities, type CallControl, type TransferOptions } from '../../../src/server/index.js';
import type { ToolContext } from '../../../src/tools.js';

/** A CallControl that records what the tools asked of it. */
function recordingCall(capabilities: CallCapabilities) {
  const asked: unknown[][] = [];
  const call: CallControl = {
    carrier: 'vonage',
    callId: 'u-1',
    capabilities,
    endCall: async () => void asked.push(['endCall']),
    transferCall: async (to: string, options?: TransferOptions) => void asked.push(['transferCall', to, options]),
    sendDtmf: async (digits: string) => void asked.push(['sendDtmf', digits]),
    leaveMessage: async () => {
      throw new CallControlError('unsupported', 'vonage', 'leaveMessage', 'no');
    },
  };
  return { call, asked };
}

const context = {} as ToolContext;
const ALL: CallCapabilities = { transfer: true, warmTransfer: true, sendDtmf: true, leaveMessage: true };

describe('callControlTools', () => {
  it('transfer_call passes the model’s summary on as a warm transfer, trimmed and bounded; without one it is cold', async () => {
    const { call, asked } = recordingCall(ALL);
    const transfer = callControlTools(call, { transferTargets: { sales: '+15005550199' } }).find((t) => t.name === 'transfer_call')!;
    expect(await transfer.handler({ target: 'sales', summary: '  Ana, order 1234, refund.  ' }, context)).toEqual({ transferred: true, target: 'sales', warm: true });
    expect(await transfer.handler({ target: 'sales' }, context)).toEqual({ transferred: true, target: 'sales' });
    await transfer.handler({ target: 'sales', summary: 'x'.repeat(5000) }, context);
    expect(asked[0]).toEqual(['transferCall', '+15005550199', { summary: 'Ana, order 1234, refund.' }]);
    expect(asked[1]).toEqual(['transferCall', '+15005550199', undefined]);
    expect((asked[2]![2] as TransferOptions).summary).toHaveLength(600);
    // A target the application did not list is never dialled, whatever the model sends.
    await expect(transfer.handler({ target: 'toString' }, context)).rejects.toThrow(/unknown transfer target/);
    await expect(transfer.handler({ target: '+19995550000' }, context)).rejects.toThrow(/unknown transfer target/);
    expect(asked).toHaveLength(3);
  });

  it('warmTransfer: false, or a carrier without it, drops the summary from the tool', async () => {
    const { call, asked } = recordingCall(ALL);
    const cold = callControlTools(call, { transferTargets: { sales: '+1500' }, warmTransfer: false }).find((t) => t.name === 'transfer_call')!;
    expect(JSON.stringify(cold.parameters)).not.toContain('summary');
    await cold.handler({ target: 'sales', summary: 'ignored' }, context);
    expect(asked[0]).toEqual(['transferCall', '+1500', undefined]);
    const { call: noWarm } = recordingCall({ ...ALL, warmTransfer: false });
    expect(JSON.stringify(callControlTools(noWarm, { transferTargets: { sales: '+1500' } })[1]!.parameters)).not.toContain('summary');
  });

  it('offers only what the carrier can do', () => {
    const { call } = recordingCall({ transfer: false, warmTransfer: false, sendDtmf: false, leaveMessage: false });
    expect(callControlTools(call, { transferTargets: { sales: '+1500' }, sendDtmf: true }).map((t) => t.name)).toEqual(['end_call']);
    expect(callControlTools(call, { endCall: false })).toEqual([]);
  });
});
