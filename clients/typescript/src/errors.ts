/**
 * Failures of gateway calls as one typed error, `ModelGateError`, with the
 * `google.rpc` details of `grpc-status-details-bin` decoded, so callers branch
 * on codes and reasons rather than on message text.
 */

import { createRegistry, type Message as ProtoMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

import {
  BadRequestSchema,
  DebugInfoSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";

/** Every standard google.rpc error detail, for decoding `grpc-status-details-bin`. */
const DETAIL_REGISTRY = createRegistry(
  ErrorInfoSchema,
  BadRequestSchema,
  RetryInfoSchema,
  QuotaFailureSchema,
  PreconditionFailureSchema,
  ResourceInfoSchema,
  RequestInfoSchema,
  DebugInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
);

const CODE_NAMES: Record<number, string> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

/** A (field path, description) pair of `google.rpc.BadRequest`. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** A (subject, description) pair of `google.rpc.QuotaFailure`. */
export interface QuotaViolation {
  subject: string;
  description: string;
}

/**
 * A failed gateway call, with the structured details the server attached.
 *
 * Branch on `code` (the gRPC status code; `codeName` is its canonical name,
 * e.g. "NOT_FOUND") and on `reason` (`modelgate.v1.ErrorReason` without its
 * prefix, e.g. "MODEL_NOT_FOUND"), never on the message text.
 */
export class ModelGateError extends Error {
  override readonly name = "ModelGateError";
  /** gRPC status code (Connect's `Code` enum has the gRPC numbering). */
  readonly code: Code;
  /** Canonical gRPC code name, e.g. "NOT_FOUND". */
  readonly codeName: string;
  /** `ErrorInfo.reason`, e.g. "RATE_LIMITED"; undefined without ErrorInfo (e.g. a local deadline). */
  readonly reason: string | undefined;
  /** `ErrorInfo.domain`: "modelgate" for the gateway's own errors, the provider name for upstream ones. */
  readonly domain: string | undefined;
  /** `ErrorInfo.metadata`, e.g. {model: "gpt-4o"}. */
  readonly metadata: Record<string, string>;
  /** Seconds to wait before retrying, from `RetryInfo`; undefined when the server gave no hint. */
  readonly retryAfter: number | undefined;
  /** `BadRequest` field violations. */
  readonly fieldViolations: FieldViolation[];
  /** `QuotaFailure` violations. */
  readonly quotaViolations: QuotaViolation[];
  /** Every decoded standard google.rpc detail message. */
  readonly details: ProtoMessage[];
  /** The call's response headers and trailers. */
  readonly responseMetadata: Headers;
  /** The status message, without Connect's "[code]" prefix. */
  readonly rawMessage: string;

  constructor(cause: ConnectError) {
    const codeName = CODE_NAMES[cause.code] ?? `CODE_${cause.code}`;
    const info = cause.findDetails(ErrorInfoSchema)[0];
    super(info?.reason ? `${codeName}: ${cause.rawMessage} [${info.reason}]` : `${codeName}: ${cause.rawMessage}`, {
      cause,
    });
    this.code = cause.code;
    this.codeName = codeName;
    this.rawMessage = cause.rawMessage;
    this.reason = info?.reason || undefined;
    this.domain = info?.domain || undefined;
    this.metadata = { ...(info?.metadata ?? {}) };
    const retry = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryAfter = retry ? Math.max(0, Number(retry.seconds) + retry.nanos / 1e9) : undefined;
    this.fieldViolations = cause
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    this.quotaViolations = cause
      .findDetails(QuotaFailureSchema)
      .flatMap((d) => d.violations.map((v) => ({ subject: v.subject, description: v.description })));
    this.details = cause.findDetails(DETAIL_REGISTRY);
    this.responseMetadata = cause.metadata;
  }
}

/** Converts anything a Connect call throws into a ModelGateError (aborts by the caller included). */
export function toModelGateError(err: unknown): ModelGateError {
  return err instanceof ModelGateError ? err : new ModelGateError(ConnectError.from(err));
}
