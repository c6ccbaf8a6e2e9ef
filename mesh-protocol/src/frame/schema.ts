// Typed views of the protobuf messages (Data, Envelope) and their strict codecs.
// Every decoded value is checked against the schema here, so nothing untyped leaves this file.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs/light.js';
import type { Enum, Field, Message, OneOf, Type } from 'protobufjs';
import { MeshError } from '../core/mesh-error.ts';
import { MESH_MAX_FRAME } from '../phy/lora-params.ts';
import { hasLoneSurrogate } from './text-limits.ts';

// ---------------------------------------------------------------------------------------------
// TypeScript shapes. Field names are the camelCase ones protobufjs derives from the .proto files;
// enums are their names as strings, because these objects travel as JSON over MQTT and a name
// survives renumbering mistakes better than a bare number. Decoding fills every scalar with its
// proto3 default, so a decoded object always has every field.
// ---------------------------------------------------------------------------------------------

export interface Position {
  /** Degrees x 1e7. */
  latitudeI: number;
  longitudeI: number;
  altitudeM: number;
  /** Unix seconds of the fix. */
  time: number;
  precisionBits: number;
  satsInView: number;
  fixQuality: number;
  groundSpeed: number;
  groundTrack: number;
}

/** Floats travel as float32: a value that is not a float32 comes back rounded. */
export interface Telemetry {
  /** 0..100 percent, 101 = external power. */
  batteryLevel: number;
  voltage: number;
  cpuTemperature: number;
  uptimeS: number;
  channelUtilization: number;
  airUtilTx: number;
}

export const ALERT_LEVELS = [
  'UNSPECIFIED',
  'SOS',
  'SAFE',
  'WARNING',
  'EARTHQUAKE',
  'EVACUATE',
  'FIRE',
  'FLOOD',
  'MEDICAL',
] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export interface Alert {
  level: AlertLevel;
  text: string;
  position?: Position;
  /** Magnitude x 10; 0 = not given. */
  magnitudeX10: number;
  /**
   * True: no person sent it, a module on the node answered by itself (an unattended node's check-in
   * answerer), so a SAFE says the node is on the air, not that anyone there is safe. Absent (never
   * false on the wire) on what a person sends; decoding leaves it absent then.
   */
  automatic?: boolean;
}

export const NODE_ROLES = ['CLIENT', 'ROUTER', 'GATEWAY'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export interface NodeInfo {
  longName: string;
  shortName: string;
  hwModel: string;
  role: NodeRole;
  /** X25519 public key: 32 bytes, or empty. */
  publicKey: Uint8Array;
}

export const ROUTING_ERRORS = [
  'NONE',
  'NO_ROUTE',
  'TIMEOUT',
  'MAX_RETRANSMIT',
  'NO_CHANNEL',
  'TOO_LARGE',
  'DUTY_CYCLE',
  'NO_RESPONSE',
  'BAD_REQUEST',
  'NOT_OPENED',
] as const;
export type RoutingError = (typeof ROUTING_ERRORS)[number];

export const SOS_PROGRESS_STAGES = ['UNSPECIFIED', 'SENT', 'GATEWAY', 'HUB', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type SosProgressStage = (typeof SOS_PROGRESS_STAGES)[number];

/** The wire form of an SOS stage; hub/sos-stage.ts converts it to and from the shared stage model. */
export interface SosProgress {
  /** 'UNSPECIFIED' = a stage this build does not know: ignored. */
  stage: SosProgressStage;
  /** Unix seconds when the stage was reached; 0 = not given. */
  time: number;
  /** Who acknowledged or resolved it; empty when not given. */
  by: string;
}

export interface Routing {
  /** 'NONE' is an ACK of Data.requestId. */
  error: RoutingError;
  /** Only on the answer to an SOS (Data.replyId = its requestId): the stage it has reached. */
  sos?: SosProgress;
}

export interface Traceroute {
  route: number[];
  /** dB x 4 per hop. */
  snrTowards: number[];
  routeBack: number[];
  snrBack: number[];
  /** Who asked, and whom the trace is for (each hop's frame names only that hop). */
  requester: number;
  destination: number;
}

export interface Neighbor {
  nodeId: number;
  snrX4: number;
  /** 0..255 estimated delivery probability from that neighbour to this node. */
  quality: number;
}

export interface NeighborInfo {
  nodeId: number;
  beaconSeq: number;
  intervalS: number;
  neighbors: Neighbor[];
}

/** An end-to-end encrypted private message; messenger-crypto's decodeMeshDirect(sender, sealed) opens it. */
export interface DirectMessage {
  /** The end-to-end sender's mesh address (a node id or a hub device's virtual address), not the frame's transmitter. */
  sender: number;
  /** The mesh-direct bytes (INIT, STEP or SHORT form), 1..200. */
  sealed: Uint8Array;
}

interface DataBodies {
  text: string;
  position: Position;
  telemetry: Telemetry;
  alert: Alert;
  nodeInfo: NodeInfo;
  routing: Routing;
  traceroute: Traceroute;
  neighborInfo: NeighborInfo;
  direct: DirectMessage;
}

export type DataKind = keyof DataBodies;

export const DATA_KINDS: readonly DataKind[] = [
  'text',
  'position',
  'telemetry',
  'alert',
  'nodeInfo',
  'routing',
  'traceroute',
  'neighborInfo',
  'direct',
];

/** Exactly one body member; the others are typed `never` so the compiler rejects two at once. */
export type DataBody = {
  [K in DataKind]: { [P in K]: DataBodies[P] } & { [P in Exclude<DataKind, K>]?: never };
}[DataKind];

export interface DataMeta {
  /** The packet id this frame answers (acks, replies); 0 = none. */
  requestId: number;
  wantResponse: boolean;
  /** The packet id this message replies to in a conversation; 0 = none. */
  replyId: number;
}

/** A Data message: one body, meta fields optional (absent = 0 / false, as proto3 encodes them). */
export type Data = DataBody & Partial<DataMeta>;

/** What decoding returns: a Data with every meta field filled in. */
export type DecodedData = DataBody & DataMeta;

export interface Envelope {
  /** The frame exactly as heard, 1..MESH_MAX_FRAME (250) bytes. */
  frame: Uint8Array;
  gatewayId: string;
  rssi: number;
  snr: number;
  rxTimeMs: number;
  frequencyHz: number;
  sf: number;
  bandwidthHz: number;
}

/** Mirrors unibos.v1.Frame: the decoded, JSON-friendly view of a frame's header and ciphertext. */
export interface FrameRecord {
  to: number;
  from: number;
  id: number;
  hopLimit: number;
  hopStart: number;
  wantAck: boolean;
  viaMqtt: boolean;
  channelHash: number;
  nextHop: number;
  relayNode: number;
  counter: number;
  encrypted: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Schema loading: once, at import.
// ---------------------------------------------------------------------------------------------

/** Where a device bundle keeps the schema precompiled to JSON (`unibos image bundle` writes it). */
export const COMPILED_SCHEMA_PATH = 'proto/unibos.v1.json';

/**
 * The schema read from the .proto text, with protobufjs's full build (its parser), as JSON: the
 * root is always built from JSON by the light build, so the codecs below see one set of classes
 * even where the full build is a separate copy (the device bundle inlines the light one).
 */
export function parseProtoFiles(): protobuf.INamespace {
  const full = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
  const parsed = new full.Root();
  for (const file of ['frame.proto', 'data.proto', 'envelope.proto']) {
    full.parse(readFileSync(new URL(`../../proto/${file}`, import.meta.url), 'utf8'), parsed);
  }
  return parsed.toJSON();
}

// The parser and parsing cost a small device several MB at start, so a bundle loads the
// precompiled JSON (same types, same field numbers: the same wire format); a checkout parses.
const compiledSchema = new URL(`../../${COMPILED_SCHEMA_PATH}`, import.meta.url);
const root = protobuf.Root.fromJSON(existsSync(compiledSchema) ? (JSON.parse(readFileSync(compiledSchema, 'utf8')) as protobuf.INamespace) : parseProtoFiles());
root.resolveAll();

const DataType = root.lookupType('unibos.v1.Data');
const EnvelopeType = root.lookupType('unibos.v1.Envelope');

/** The loaded reflection root, for tools that want the raw schema (e.g. JSON views of Frame). */
export const protoRoot: protobuf.Root = root;

// Newer senders may use enum values this build does not know. Where a neutral value exists the
// message still decodes with it; elsewhere (routing errors) guessing would be wrong, since 0 means
// ACK, so the payload is refused.
const ENUM_FALLBACK: ReadonlyMap<string, string> = new Map([
  ['.unibos.v1.Alert.Level', 'UNSPECIFIED'],
  ['.unibos.v1.NodeInfo.Role', 'CLIENT'],
  ['.unibos.v1.SosProgress.Stage', 'UNSPECIFIED'],
]);

/** Fields whose bytes have a fixed length when present. */
const BYTES_LENGTH: ReadonlyMap<string, number> = new Map([['.unibos.v1.NodeInfo.publicKey', 32]]);

// ---------------------------------------------------------------------------------------------
// Public codecs
// ---------------------------------------------------------------------------------------------

export function dataKind(data: DataBody): DataKind {
  for (const kind of DATA_KINDS) {
    if (data[kind] !== undefined) return kind;
  }
  throw new MeshError('E_BAD_ARGUMENT', 'Data has no body');
}

/** Throws E_BAD_ARGUMENT when `data` does not fit the schema (wrong types, out-of-range numbers, not exactly one body). */
export function encodeData(data: Data): Uint8Array {
  return encodeWith(DataType, data);
}

/** Throws E_BAD_PAYLOAD on anything that is not a well-formed Data with exactly one body. */
export function decodeData(bytes: Uint8Array): DecodedData {
  // The cast is sound because fromWire checked every field against the same schema the TS types mirror.
  return decodeWith(DataType, bytes) as unknown as DecodedData;
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  if (envelope.frame instanceof Uint8Array && (envelope.frame.length === 0 || envelope.frame.length > MESH_MAX_FRAME)) {
    throw new MeshError('E_BAD_ARGUMENT', `Envelope.frame must be 1..${MESH_MAX_FRAME} bytes, got ${envelope.frame.length}`);
  }
  return encodeWith(EnvelopeType, envelope);
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const envelope = decodeWith(EnvelopeType, bytes) as unknown as Envelope;
  if (envelope.frame.length === 0 || envelope.frame.length > MESH_MAX_FRAME) {
    throw new MeshError('E_BAD_PAYLOAD', `Envelope.frame must be 1..${MESH_MAX_FRAME} bytes, got ${envelope.frame.length}`);
  }
  return envelope;
}

// ---------------------------------------------------------------------------------------------
// Schema-driven conversion. One walker for both directions keeps the TS view and the .proto
// files from drifting apart silently: a field the walker does not understand is an error.
// ---------------------------------------------------------------------------------------------

type Plain = Record<string, unknown>;

function encodeWith(type: Type, value: unknown): Uint8Array {
  const wire = toWire(type, value, type.name, 'E_BAD_ARGUMENT');
  // protobufjs hands back a Buffer carved from Node's shared pool; a plain copy cannot leak or alias it.
  return new Uint8Array(type.encode(wire).finish());
}

function decodeWith(type: Type, bytes: Uint8Array): Plain {
  if (!(bytes instanceof Uint8Array)) throw new MeshError('E_BAD_PAYLOAD', `${type.name}: expected bytes`);
  let message: Message;
  try {
    message = type.decode(bytes);
  } catch (err) {
    throw new MeshError('E_BAD_PAYLOAD', `${type.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return fromWire(type, message, type.name);
}

type ErrorCode = 'E_BAD_ARGUMENT' | 'E_BAD_PAYLOAD';

/** Validates a TS-shaped object and builds what protobufjs encodes (enum numbers, Uint8Array bytes). */
function toWire(type: Type, value: unknown, path: string, code: ErrorCode): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MeshError(code, `${path}: expected an object`);
  }
  const input = value as Plain;
  for (const key of Object.keys(input)) {
    if (!(key in type.fields)) throw new MeshError(code, `${path}.${key}: not a field of ${type.name}`);
  }
  const wire: Plain = {};
  for (const field of type.fieldsArray) {
    const v = input[field.name];
    if (v === undefined) continue;
    const fieldPath = `${path}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new MeshError(code, `${fieldPath}: expected an array`);
      wire[field.name] = v.map((item, i) => scalarOrMessageToWire(field, item, `${fieldPath}[${i}]`, code));
    } else {
      wire[field.name] = scalarOrMessageToWire(field, v, fieldPath, code);
    }
  }
  for (const oneof of realOneofs(type)) {
    const set = oneof.oneof.filter((name) => input[name] !== undefined);
    if (set.length !== 1) {
      throw new MeshError(code, `${path}: exactly one of ${oneof.oneof.join('|')} must be set, got ${set.length}`);
    }
  }
  return wire;
}

function scalarOrMessageToWire(field: Field, v: unknown, path: string, code: ErrorCode): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return toWire(resolved, v, path, code);
  if (resolved instanceof protobuf.Enum) {
    const n = typeof v === 'string' && Object.hasOwn(resolved.values, v) ? resolved.values[v] : undefined;
    if (n === undefined) throw new MeshError(code, `${path}: ${String(v)} is not a ${resolved.name}`);
    return n;
  }
  checkScalar(field, v, path, code);
  return v;
}

// Decoding runs once per frame heard, so each type's fields are classified once, and the path
// that names a bad field is only built when something is refused.
type FieldKind = 'message' | 'enum' | 'bytes' | 'long' | 'float' | 'scalar';

interface FieldPlan {
  field: Field;
  name: string;
  kind: FieldKind;
  repeated: boolean;
  /** Message and oneof fields: absent stays absent (the prototype holds a default otherwise). */
  presence: boolean;
  bytesLength: number | undefined;
  /** Integer fields: the range a value must fall in. */
  range: readonly [number, number] | undefined;
  /** Message fields: the path of the value by the path of the message holding it, made once each. */
  paths: Map<string, string>;
}

interface TypePlan {
  fields: FieldPlan[];
  oneofs: string[][];
  /** fromWire for this type, compiled once (see compileFromWire). */
  fromWire: (raw: Plain, path: string) => Plain;
}

const LONG_TYPES: ReadonlySet<string> = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);
const plans = new WeakMap<Type, TypePlan>();

function planOf(type: Type): TypePlan {
  let plan = plans.get(type);
  if (plan === undefined) {
    const fields = type.fieldsArray.map((field): FieldPlan => {
      const resolved = field.resolvedType;
      const kind: FieldKind =
        resolved instanceof protobuf.Type
          ? 'message'
          : resolved instanceof protobuf.Enum
            ? 'enum'
            : field.type === 'bytes'
              ? 'bytes'
              : LONG_TYPES.has(field.type)
                ? 'long'
                : field.type === 'float' || field.type === 'double'
                  ? 'float'
                  : 'scalar';
      return {
        field,
        name: field.name,
        kind,
        repeated: field.repeated,
        presence: kind === 'message' || Boolean(field.partOf),
        bytesLength: BYTES_LENGTH.get(`${field.parent?.fullName ?? ''}.${field.name}`),
        range: INT_RANGE[field.type],
        paths: new Map(),
      };
    });
    const oneofs = realOneofs(type).map((o) => o.oneof);
    plan = { fields, oneofs, fromWire: compileFromWire(fields, oneofs) };
    plans.set(type, plan);
  }
  return plan;
}

/**
 * The type's oneofs but for those proto3 makes for an `optional` field (one member, named `_field`):
 * such a field may be absent, where a real oneof must hold exactly one member. The field itself
 * keeps its presence (absent stays absent), as a oneof member does.
 */
function realOneofs(type: Type): OneOf[] {
  return type.oneofsArray.filter((o) => !(o.oneof.length === 1 && type.fields[o.oneof[0]!]?.options?.proto3_optional === true));
}

/** Turns a decoded protobufjs message into the TS shape, refusing what the schema cannot mean. */
function fromWire(type: Type, message: Message, path: string): Plain {
  return planOf(type).fromWire(message as unknown as Plain, path);
}

/**
 * Compiles a type's walk into one function with its field names written out, as protobufjs
 * compiles its decoders: looked up by a name held in a variable, every field read and every
 * property added was a generic lookup, which cost a router more than the protobuf decode itself.
 * What it does per field is exactly the plan's: a repeated field always an array, a message or
 * oneof member only when present, every other field always; then each oneof holds exactly one.
 * Names are written as JSON string literals, so no name from a .proto file can become code.
 */
function compileFromWire(fields: readonly FieldPlan[], oneofs: readonly string[][]): (raw: Plain, path: string) => Plain {
  const lines = ['const out = {};', 'let v;'];
  fields.forEach((f, i) => {
    const key = JSON.stringify(f.name);
    lines.push(`v = raw[${key}];`);
    if (f.repeated) lines.push(`out[${key}] = Array.isArray(v) ? v.map((item, j) => value(fields[${i}], item, path, j)) : [];`);
    else if (f.presence) lines.push(`if (v !== null && v !== undefined && hasOwn(raw, ${key})) out[${key}] = value(fields[${i}], v, path, -1);`);
    else lines.push(`out[${key}] = value(fields[${i}], v, path, -1);`);
  });
  oneofs.forEach((members, i) => {
    // protobufjs already applies "last member wins" while decoding; this catches the empty body.
    lines.push(`if (${members.map((name) => `(out[${JSON.stringify(name)}] !== undefined)`).join(' + ')} !== 1) oneofFailed(oneofs[${i}], out, path);`);
  });
  lines.push('return out;');
  const factory = new Function('fields', 'oneofs', 'value', 'hasOwn', 'oneofFailed', `return function fromWire(raw, path) {\n${lines.join('\n')}\n};`);
  return factory(fields, oneofs, valueFromWire, Object.hasOwn, oneofFailed) as (raw: Plain, path: string) => Plain;
}

function oneofFailed(members: readonly string[], out: Plain, path: string): never {
  const set = members.filter((name) => out[name] !== undefined).length;
  throw new MeshError('E_BAD_PAYLOAD', `${path}: exactly one of ${members.join('|')} must be set, got ${set}`);
}

function fieldPath(path: string, f: FieldPlan, index: number): string {
  return index < 0 ? `${path}.${f.name}` : `${path}.${f.name}[${index}]`;
}

function valueFromWire(f: FieldPlan, v: unknown, path: string, index: number): unknown {
  switch (f.kind) {
    case 'message': {
      let at = index < 0 ? f.paths.get(path) : undefined;
      if (at === undefined) {
        at = fieldPath(path, f, index);
        // Paths of repeated fields carry an index, so only the others are kept (a bounded set).
        if (index < 0) f.paths.set(path, at);
      }
      return fromWire(f.field.resolvedType as Type, v as Message, at);
    }
    case 'enum':
      return enumFromWire(f.field.resolvedType as Enum, v, path, f, index);
    case 'bytes': {
      // Decoded bytes may alias the input buffer (or be a plain [] default): always copy.
      const bytes = v instanceof Uint8Array ? new Uint8Array(v) : new Uint8Array(0);
      if (f.bytesLength !== undefined && bytes.length !== 0 && bytes.length !== f.bytesLength) {
        throw new MeshError('E_BAD_PAYLOAD', `${fieldPath(path, f, index)}: expected ${f.bytesLength} bytes, got ${bytes.length}`);
      }
      return bytes;
    }
    case 'long': {
      const n = longToNumber(v);
      if (!Number.isSafeInteger(n)) throw new MeshError('E_BAD_PAYLOAD', `${fieldPath(path, f, index)}: ${String(v)} exceeds 2^53`);
      return n;
    }
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new MeshError('E_BAD_PAYLOAD', `${fieldPath(path, f, index)}: not a finite number`);
      return v;
    default:
      if (!scalarFits(f, v)) checkScalar(f.field, v, fieldPath(path, f, index), 'E_BAD_PAYLOAD');
      return v;
  }
}

/** The common case of checkScalar without building a path: true when `v` fits the field. */
function scalarFits(f: FieldPlan, v: unknown): boolean {
  const range = f.range;
  if (range) return typeof v === 'number' && Number.isInteger(v) && v >= range[0] && v <= range[1];
  if (f.field.type === 'bool') return typeof v === 'boolean';
  if (f.field.type === 'string') return typeof v === 'string';
  return false;
}

function enumFromWire(e: Enum, v: unknown, path: string, f: FieldPlan, index: number): string {
  const name = typeof v === 'number' ? e.valuesById[v] : undefined;
  if (name !== undefined) return name;
  const fallback = ENUM_FALLBACK.get(e.fullName);
  if (fallback !== undefined) return fallback;
  throw new MeshError('E_BAD_PAYLOAD', `${fieldPath(path, f, index)}: unknown ${e.name} value ${String(v)}`);
}

function longToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null && 'toNumber' in v && typeof v.toNumber === 'function') {
    const n: unknown = v.toNumber();
    if (typeof n === 'number') return n;
  }
  return Number.NaN;
}

const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-0x8000_0000, 0x7fff_ffff],
  sint32: [-0x8000_0000, 0x7fff_ffff],
  sfixed32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
  fixed32: [0, 0xffff_ffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sint64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  sfixed64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  fixed64: [0, Number.MAX_SAFE_INTEGER],
};

function checkScalar(field: Field, v: unknown, path: string, code: ErrorCode): void {
  const range = INT_RANGE[field.type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new MeshError(code, `${path}: expected a ${field.type} integer, got ${String(v)}`);
    }
    return;
  }
  switch (field.type) {
    case 'float':
    case 'double':
      // NaN and Infinity have no JSON form, and sensors that cannot read should omit the value.
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new MeshError(code, `${path}: expected a finite number`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new MeshError(code, `${path}: expected a boolean`);
      return;
    case 'string':
      if (typeof v !== 'string') throw new MeshError(code, `${path}: expected a string`);
      // Half a UTF-16 pair has no UTF-8 form: encoded, it is bytes that decodeData refuses.
      if (hasLoneSurrogate(v)) throw new MeshError(code, `${path}: text that is not valid Unicode (half of a UTF-16 surrogate pair)`);
      return;
    case 'bytes': {
      if (!(v instanceof Uint8Array)) throw new MeshError(code, `${path}: expected a Uint8Array`);
      const want = BYTES_LENGTH.get(`${field.parent?.fullName ?? ''}.${field.name}`);
      if (want !== undefined && v.length !== 0 && v.length !== want) {
        throw new MeshError(code, `${path}: expected ${want} bytes, got ${v.length}`);
      }
      return;
    }
    default:
      throw new MeshError(code, `${path}: unsupported field type ${field.type}`);
  }
}
