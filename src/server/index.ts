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
export { CARRIER_ROUTES, CONTROL_PATHS, WEBHOOK_PATHS, telnyxCallControl, plivoCallControl, vonageCallControl, exotelCallControl, vonageApplicationJwt, handleCarrierSession, placeTwilioCall, TwilioRest, TwilioRestError, type PlaceCallOptions, type TwilioCall } from './carriers/index.js';
export { callControlTools, CallControlError, DTMF_PATTERN, MAX_MESSAGE_CHARS, MAX_SUMMARY_CHARS, TRANSFER_TARGET, type CallAction, type CallCapabilities, type CallControl, type CallControlToolOptions, type TransferOptions } from './call-control.js';
export type { CarrierFormat, CarrierMessage, CarrierName, CarrierSerializer, ExotelOptions, PlivoOptions, TelnyxOptions, VonageOptions } from './carriers/index.js';
export { plivoSignatureV3 } from './carriers/auth.js';
export { AnsweringMachineAction, type AnsweringMachineOptions } from './carriers/amd-action.js';
export { reportCarrierAmd } from './carriers/amd-results.js';
