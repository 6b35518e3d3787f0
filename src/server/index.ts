export { serve, STREAM_PATH, TWILIO_PATH } from './serve.js';
export { PROTOCOL_VERSION, parseStart, type ClientMessage, type StartMessage } from './rxvoice-protocol.js';
export { signToken, verifyToken, twilioSignature, isValidTwilioSignature } from './security.js';
export { CallRecorder } from './recording.js';
export type {
  AllowOptions,
  AuthOptions,
  LimitOptions,
  PipelineChoice,
  PipelineFactory,
  PipelineName,
  RecordingOptions,
  RunningServer,
  ServeOptions,
  SessionStats,
  TwilioOptions,
  WireFormat,
} from './types.js';
