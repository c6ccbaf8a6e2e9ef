// What one device can make the profile router keep or compute is bounded, and nothing a device
// announces or sends makes the router throw: a device's excess is its own counted drop.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import { FakeBroker } from './support/fake-profile-broker.ts';

describe('per-device state the router keeps is bounded', () => {
  it('a device announcing discovery configs without end is held to a bound per device; past it each is a counted drop, other devices unaffected', () => {
    const broker = new FakeBroker();
    const router = new ProfileRouter({ broker, logger: pino({ level: 'silent' }) });
    router.start();
    const subscriptions = () => broker.subs.length;
    const base = subscriptions();
    // Each config names a state topic no profile reads, so each would cost the broker an internal subscription.
    for (let i = 0; i < 5000; i++) broker.publish(`homeassistant/sensor/n${i}/t/config`, { stat_t: `junk/n${i}`, dev: { name: `n${i}` } }, 'z2m');
    assert.ok(router.stats.discovered <= ProfileRouter.MAX_ENTITIES_PER_DEVICE, `discovered ${router.stats.discovered}`);
    assert.ok(subscriptions() - base <= ProfileRouter.MAX_ENTITIES_PER_DEVICE, `subscriptions ${subscriptions() - base}`);
    assert.equal(router.stats.drops.discovery, 5000 - ProfileRouter.MAX_ENTITIES_PER_DEVICE);
    // An entity it already has can still be changed, and another device still announces its own.
    broker.publish('homeassistant/sensor/n0/t/config', { stat_t: 'junk/n0', unit_of_meas: '°C', dev: { name: 'n0' } }, 'z2m');
    broker.publish('homeassistant/sensor/esp1/soil/config', { stat_t: 'esp1/sensor/soil/state', dev: { name: 'esp1' } }, 'esp1');
    assert.equal(router.stats.drops.discovery, 5000 - ProfileRouter.MAX_ENTITIES_PER_DEVICE);
    const readings: string[] = [];
    router.on('reading', (e) => readings.push(`${e.reading.sensor}/${e.reading.metric}=${e.reading.value}${e.reading.unit ?? ''}`));
    broker.publish('junk/n0', '21', 'z2m');
    broker.publish('esp1/sensor/soil/state', '40', 'esp1');
    assert.deepEqual(readings, ['z2m:n0/t=21°C', 'esp1/soil=40']);
    // Removing one makes room for another.
    broker.publish('homeassistant/sensor/n0/t/config', '', 'z2m');
    broker.publish('homeassistant/sensor/late/t/config', { stat_t: 'junk/late', dev: { name: 'late' } }, 'z2m');
    assert.equal(router.stats.drops.discovery, 5000 - ProfileRouter.MAX_ENTITIES_PER_DEVICE);
    router.stop();
    assert.equal(subscriptions(), 0);
  });

  it('a discovery template too deep to evaluate is a counted drop of that device, not an error that refuses its messages', () => {
    const broker = new FakeBroker();
    const router = new ProfileRouter({ broker, logger: pino({ level: 'silent' }) });
    router.start();
    const readings: string[] = [];
    router.on('reading', (e) => readings.push(`${e.reading.sensor}/${e.reading.metric}=${e.reading.value}`));
    // Each form compiles to nested steps, one per operator: thousands of them overflow the stack when run.
    const deep = ['{{ value|float' + ' + 1'.repeat(20000) + ' }}', '{{ value' + '|abs'.repeat(30000) + ' }}', '{{ 1' + ' * 2'.repeat(30000) + ' }}'];
    deep.forEach((tpl, i) => broker.publish(`homeassistant/sensor/meter${i}/power/config`, { stat_t: `meters/m${i}/power`, val_tpl: tpl, dev: { name: `m${i}` } }, 'meter'));
    deep.forEach((_tpl, i) => assert.doesNotThrow(() => broker.publish(`meters/m${i}/power`, '5', 'meter'), `template ${i}`));
    assert.equal(router.stats.drops.discovery, 3, 'each counted once: refused when announced, or when read');
    // The device's other entities still read.
    broker.publish('homeassistant/sensor/meter9/power/config', { stat_t: 'meters/m9/power', val_tpl: '{{ value|float * 2 }}', dev: { name: 'm9' } }, 'meter');
    broker.publish('meters/m9/power', '5', 'meter');
    assert.deepEqual(readings, ['meter:m9/power=10']);
    router.stop();
  });
});
