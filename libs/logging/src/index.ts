export { createLogger, parseLogFormat, type LogFormat, type Logger } from "./logger.ts";
