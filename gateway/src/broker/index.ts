// The broker's public face inside @unibos/gateway: the package index and the CLI import from here.

export {
  GatewayBroker,
  BROKER_DEFAULTS,
  type GatewayBrokerOptions,
  type GatewayBrokerEvents,
  type BrokerPublishOptions,
  type BrokerMessageHandler,
  type BrokerClientInfo,
  type BrokerDenial,
} from './gateway-broker.ts';
export { DeviceCredentials, parseDeviceRules, type DeviceRecord, type DeviceCredentialsOptions, type DeviceRuleInput } from './device-credentials.ts';
export { parseAclFile, parseRule, TopicRuleError, NO_RULES, type TopicRule, type TopicRuleSet, type RuleAccess } from './topic-rules.ts';
export {
  DEVICE_ROLES,
  DEVICE_ID_PATTERN,
  ANONYMOUS_ID,
  isDeviceRole,
  canPublish,
  canSubscribe,
  type DeviceRole,
  type AclSubject,
  type AclDecision,
} from './acl.ts';
export type { BrokerStats, DenialKind } from './broker-stats.ts';
export type { StoreCapReason } from './store-quotas.ts';
export { topicMatches, isValidTopicName, isValidTopicFilter } from '@unibos/mesh-protocol';
