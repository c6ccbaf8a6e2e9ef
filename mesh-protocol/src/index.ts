// The public face of @unibos/mesh-protocol: other packages import only from here.

export { MeshError, type MeshErrorCode } from './core/mesh-error.ts';
export { SeededRandom, CryptoRandom, type Random } from './core/random.ts';
export { RealScheduler, type Scheduler, type TimerHandle } from './core/scheduler.ts';

export * from './frame/header.ts';
export * from './frame/schema.ts';
export { encodeFrame, decodeFrame } from './frame/frame-codec.ts';
export { PacketIdGenerator } from './frame/packet-id.ts';
export * from './frame/text-limits.ts';
export * from './crypto/channel-key.ts';
export { sealFrame, openFrame } from './crypto/frame-cipher.ts';

export * from './phy/lora-params.ts';
export * from './phy/airtime.ts';
export type { Radio, RadioListener, RxPacket } from './phy/radio.ts';

export { MeshRouter, type RouterOptions, type RouterEvents, type Delivery, type SendOptions } from './routing/router.ts';
export { RouterStats, type DropReason } from './routing/router-stats.ts';
export { TraceService, DEFAULT_TRACE_TIMEOUT_MS, TRACE_RATE_PER_MINUTE, type TraceResult, type TraceServiceOptions } from './routing/trace-service.ts';
export { TRACE_MAX_HOPS, UNKNOWN_NODE, type TraceHop } from './routing/trace-route.ts';
export { DedupCache, DEFAULT_DEDUP_CAPACITY, DEFAULT_DEDUP_TTL_MS, type DedupOptions } from './routing/dedup-cache.ts';
export { ReplayWindow } from './routing/replay-window.ts';
export { encodeReplaySnapshot, parseReplaySnapshot, type ReplaySnapshot, type ParsedReplaySnapshot } from './routing/replay-snapshot.ts';
export { NeighborTable, type NodeRecord, type NeighborLink } from './routing/neighbor-table.ts';
export { MemoryFrameCounter, type FrameCounter } from './routing/frame-counter.ts';
export { DutyCycle, REGIONS, type RegionName, type RegionRules } from './routing/duty-cycle.ts';
export { URGENCY_ORDER, urgencyOf, type Urgency } from './routing/urgency.ts';
export { ChannelUtilization } from './routing/channel-utilization.ts';
export { contentionWindow, type RelayPolicy, type RelayContext } from './routing/relay-policy.ts';
export { NaiveFloodPolicy } from './routing/naive-flood-policy.ts';
export { ManagedFloodPolicy } from './routing/managed-flood-policy.ts';
export { CoverageFloodPolicy, DEFAULT_COVERAGE_THRESHOLD, expectedGain } from './routing/coverage-flood-policy.ts';

export { SimMedium, SimRadio, type Link, type MediumStats } from './sim/medium.ts';
export { SimScheduler } from './sim/sim-scheduler.ts';
export * from './sim/propagation.ts';
export { runScenario, type ScenarioSpec, type ScenarioResult, type Topology, type FrameOutcome, type NodeOutcome } from './sim/scenario.ts';
export { renderTopologySvg, renderComparisonSvg, type StrategyPanel, type ComparisonReport } from './sim/svg-report.ts';
export { placeLabels, intersects, type Box, type LabelRequest } from './sim/label-placement.ts';
export { summarizeRuns, percentile, latencyByHops, matchedLatency, type RunSummary, type HopLatency, type MatchedLatency } from './sim/run-summary.ts';

export * from './hub/hub-envelope.ts';
export * from './hub/uplink-limits.ts';
export { MqttFrameScanner, MAX_REMAINING_LENGTH, type FrameVerdict } from './mqtt/mqtt-frame-scanner.ts';
export { ConnectionGate, type ConnectionGateOptions } from './mqtt/connection-gate.ts';
export { createClaimChallenge, proveClaim, verifyClaimProof, claimTranscript, nodeIdFromPublicKey, rawPublicKey, CLAIM_NONCE_BYTES, type ClaimChallenge, type ClaimProof, type ClaimProofFailure } from './crypto/claim-proof.ts';
export * from './hub/sos-stage.ts';
export { DiskReserve, availableBytes } from './core/disk-reserve.ts';
export { makePrivate, sqliteFileNames, formatMode, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, type ModeFix } from './core/private-files.ts';
export * from './core/node-id.ts';
export * from './mqtt/topics.ts';
export * from './hub/hub-events.ts';
export { GATEWAY_TX_REASONS, GATEWAY_NOT_SENT_PREFIX } from './hub/gateway-tx-reasons.ts';
export { MAX_TOPIC_BYTES, isValidTopicName, isValidTopicFilter, topicMatches, isInsidePrefix, filterCovers, filtersOverlap } from './mqtt/topic-filter.ts';
