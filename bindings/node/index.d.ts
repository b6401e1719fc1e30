// Types of cfn-metrics (lib/index.js). Errors thrown by the library are `CfnMetricsError`s;
// arguments of the wrong type or value are `TypeError`s with code ERR_INVALID_ARG_TYPE or
// ERR_INVALID_ARG_VALUE.

/** Exposition formats: Prometheus text 0.0.4 or OpenMetrics 1.0.0. */
export type Format = 'text' | 'openmetrics';

/** The `code` of an error from libcfnmetrics: the name of its cfn_status. */
export type CfnErrorCode =
  | 'CFN_ERR_INVALID_ARGUMENT'
  | 'CFN_ERR_INVALID_NAME'
  | 'CFN_ERR_INVALID_LABEL'
  | 'CFN_ERR_LABEL_COUNT'
  | 'CFN_ERR_INVALID_VALUE'
  | 'CFN_ERR_CONFLICT'
  | 'CFN_ERR_WRONG_TYPE'
  | 'CFN_ERR_NOT_FOUND'
  | 'CFN_ERR_NO_MEMORY'
  | 'CFN_ERR_UNKNOWN';

/** An `Error` whose message is libcfnmetrics' own, naming the metric, label or value at fault. */
export interface CfnMetricsError extends Error {
  code: CfnErrorCode;
}

/** One value per label name in order, or an object with one value for every label name. */
export type LabelValues = string[] | [Record<string, string>];

export interface FamilyOptions {
  /** Metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
  name: string;
  help: string;
  /** Label names, in the order labels() takes values (default: none). */
  labelNames?: readonly string[];
}

export interface HistogramOptions extends FamilyOptions {
  /** Finite, strictly increasing upper bounds; +Inf is added (default: DEFAULT_BUCKETS). */
  buckets?: readonly number[];
}

export class CounterSeries {
  private constructor();
  /** Adds `delta` (default 1): finite or +Infinity; negative or NaN is CFN_ERR_INVALID_VALUE. */
  inc(delta?: number): void;
  value(): number;
}

export class GaugeSeries {
  private constructor();
  set(value: number): void;
  inc(delta?: number): void;
  dec(delta?: number): void;
  value(): number;
}

export class HistogramSeries {
  private constructor();
  /** Records one observation; NaN is CFN_ERR_INVALID_VALUE. */
  observe(value: number): void;
  /** Starts timing; the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number;
}

declare abstract class Family<S> {
  protected constructor();
  readonly name: string;
  readonly labelNames: readonly string[];
  /**
   * The series with these label values, created on first use. Keep it: updating a kept series
   * needs no lookup. A wrong number of values is CFN_ERR_LABEL_COUNT.
   */
  labels(...values: LabelValues): S;
  /**
   * Removes one series (CFN_ERR_NOT_FOUND if absent). Series objects already taken keep working
   * but no longer reach the registry; labels() starts a new series from zero.
   */
  remove(...values: LabelValues): void;
  /** Removes every series, with the same effect on series objects as remove(). */
  reset(): void;
}

/** A counter family; inc() and value() act on the series of a family without labels. */
export class Counter extends Family<CounterSeries> {
  inc(delta?: number): void;
  value(): number;
}

export class Gauge extends Family<GaugeSeries> {
  set(value: number): void;
  inc(delta?: number): void;
  dec(delta?: number): void;
  value(): number;
}

export class Histogram extends Family<HistogramSeries> {
  observe(value: number): void;
  startTimer(): () => number;
}

/** The five blocking-coordination families returned by registerCoreMetrics(). */
export interface CoreMetrics {
  readonly blocking_coordinators_total: Gauge;
  readonly blocking_duration_seconds: Histogram;
  readonly signal_delivery_latency_seconds: Histogram;
  readonly heartbeat_failures_total: Counter;
  readonly timeout_events_total: Counter;
}

export class Registry {
  /** A new, empty registry of its own. */
  constructor();
  /**
   * Registers a family, or returns the existing one when the definition is identical; any
   * difference is CFN_ERR_CONFLICT, an invalid name CFN_ERR_INVALID_NAME.
   */
  counter(options: FamilyOptions): Counter;
  gauge(options: FamilyOptions): Gauge;
  histogram(options: HistogramOptions): Histogram;
  registerCoreMetrics(): CoreMetrics;
  /** CFN_ERR_NOT_FOUND when no family has this name. */
  unregister(name: string): void;
  metrics(options?: { format?: Format }): string;
  contentType(format?: Format): string;
}

/** The process-wide registry, shared with C code and worker threads; never released. */
export const defaultRegistry: Registry;

export function registerCoreMetrics(registry?: Registry): CoreMetrics;

/** 'openmetrics' when an Accept header prefers application/openmetrics-text, else 'text'. */
export function negotiateFormat(accept: string | undefined | null): Format;

export const DEFAULT_BUCKETS: readonly number[];

/** The version of the loaded libcfnmetrics, "MAJOR.MINOR.PATCH". */
export const libraryVersion: string;

/** Native handles of the calling thread not yet garbage-collected, by kind. */
export function liveHandles(): { registry: number; family: number; series: number };
