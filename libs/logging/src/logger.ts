import { pino, destination, type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "text" | "json";
export type { Logger };

/**
 * Where log lines go instead of stdout: one call per line, without its
 * newline. A progress bar passes one that prints the line above the bar.
 */
export type LogSink = (line: string) => void;

/**
 * The processes' logger: pino, as JSON lines with `--log-format json` (for log
 * shippers), or as short human lines otherwise. Synchronous in both cases, so
 * the last lines before an exit are never lost.
 */
export function createLogger(name: string, format: LogFormat = "text", level = process.env.VAE_LOG_LEVEL ?? "info", sink?: LogSink): Logger {
  if (format === "json") return pino({ name, level }, sink ? lineStream(sink) : destination({ sync: true }));
  const options = {
    colorize: Boolean(process.stdout.isTTY),
    ignore: "pid,hostname,name",
    translateTime: "HH:MM:ss",
    messageFormat: `${name}: {msg}`,
    singleLine: true,
  };
  if (sink) {
    const format = pretty.prettyFactory(options);
    return pino({ name, level }, lineStream((line) => sink(format(line).replace(/\n$/, ""))));
  }
  return pino({ name, level }, pretty({ sync: true, ...options }));
}

/** A pino destination that hands each record, a line of JSON, to `sink` without its newline. */
function lineStream(sink: LogSink): { write(chunk: string): void } {
  return { write: (chunk) => sink(chunk.replace(/\n$/, "")) };
}

export function parseLogFormat(value: string): LogFormat {
  if (value !== "text" && value !== "json") throw new Error(`--log-format must be "text" or "json", got "${value}"`);
  return value;
}
