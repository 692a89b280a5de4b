export { createLogger, parseLogFormat, type LogFormat, type LogSink, type Logger } from "./logger.ts";
