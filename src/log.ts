/**
 * @module Logging: structured JSON lines on stderr through LogTape, and the redaction rule.
 *
 * Nothing here ever receives a header value: callers log request identity as method, path,
 * component and status only, so no credential can reach a log line (tests grep for them).
 */
import { configure, getLogger, type Logger, type LogLevel, reset } from "@logtape/logtape";

/** Loggers by category; `edge-proxy` is the root. */
export function logger(...category: string[]): Logger {
  return getLogger(["edge-proxy", ...category]);
}

/** One JSON object per line: time, level, category, message, then the structured fields. */
function formatRecord(r: {
  timestamp: number;
  level: LogLevel;
  category: readonly string[];
  message: readonly unknown[];
  properties: Record<string, unknown>;
}): string {
  let msg = "";
  for (let i = 0; i < r.message.length; i++) {
    const part = r.message[i];
    msg += i % 2 === 0 ? String(part) : typeof part === "string" ? part : JSON.stringify(part);
  }
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.properties)) {
    props[k] = v instanceof Error ? errorText(v) : v;
  }
  return JSON.stringify({
    time: new Date(r.timestamp).toISOString(),
    level: r.level,
    logger: r.category.join("."),
    msg,
    ...props,
  }) + "\n";
}

/** An error and its causes on one line, for the `error` field. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && depth < 5; depth++) {
    parts.push(cur instanceof Error ? `${cur.name}: ${cur.message}` : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(" <- ");
}

/** Options for {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** @default "info" */
  level?: LogLevel;
  /** Where lines go. @default writes to stderr */
  write?: (line: string) => void;
}

const encoder = new TextEncoder();

/** Configures LogTape once per process (tests may call it again; it resets first). */
export async function setupLogging(options: LoggingOptions = {}): Promise<void> {
  const write = options.write ?? ((line: string) => Deno.stderr.writeSync(encoder.encode(line)));
  await reset();
  await configure({
    reset: true,
    sinks: { main: (record) => write(formatRecord(record)) },
    loggers: [
      { category: ["edge-proxy"], lowestLevel: options.level ?? "info", sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}
