export { serve, STREAM_PATH, TWILIO_PATH } from './serve.js';
export { PROTOCOL_VERSION, parseStart, type ClientMessage, type StartMessage } from './rxvoice-protocol.js';
export { signToken, verifyToken, twilioSignature, isValidTwilioSignature } from './security.js';
export { CallRecorder } from './recording.js';
export type { CallLogOptions, LogFields, LogLevel, StructuredLogger } from './logging.js';
export type { StageModels, TracingOptions } from './tracing.js';
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
  TransportName,
  TwilioOptions,
  WireFormat,
} from './types.js';
export { CARRIER_ROUTES, WEBHOOK_PATHS, handleCarrierSession, placeTwilioCall, TwilioRest, TwilioRestError, type PlaceCallOptions, type TwilioCall } from './carriers/index.js';
export { callControlTools, DTMF_PATTERN, type CallControl, type CallControlToolOptions } from './call-control.js';
export type { CarrierFormat, CarrierMessage, CarrierName, CarrierSerializer, ExotelOptions, PlivoOptions, TelnyxOptions, VonageOptions } from './carriers/index.js';
export { plivoSignatureV3 } from './carriers/auth.js';
