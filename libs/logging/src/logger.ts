import { pino, destination, type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "text" | "json";
export type { Logger };

/**
 * The processes' logger: pino, as JSON lines with `--log-format json` (for log
 * shippers), or as short human lines otherwise. Synchronous in both cases, so
 * the last lines before an exit are never lost.
 */
export function createLogger(name: string, format: LogFormat = "text", level = process.env.VAE_LOG_LEVEL ?? "info"): Logger {
  if (format === "json") return pino({ name, level }, destination({ sync: true }));
  const stream = pretty({
    sync: true,
    colorize: Boolean(process.stdout.isTTY),
    ignore: "pid,hostname,name",
    translateTime: "HH:MM:ss",
    messageFormat: `${name}: {msg}`,
    singleLine: true,
  });
  return pino({ name, level }, stream);
}

export function parseLogFormat(value: string): LogFormat {
  if (value !== "text" && value !== "json") throw new Error(`--log-format must be "text" or "json", got "${value}"`);
  return value;
}
