// Well-known handles (docs/protocol.md "Well-known handles"). Reply handles start at FIRST_REPLY_HANDLE.
export const CALL = 1;
export const READY = 2;
export const GET_MODULE = 3;
export const LOAD_MODULE = 4;
export const FORWARD_LOG = 5;
export const ADD_ROUTE = 6;
export const DEL_ROUTE = 7;
export const SHUTDOWN = 8;
export const CANCEL = 9;
export const FILE_CHUNK = 10;
export const FILE_ACK = 11;
export const DISCONNECT = 12;
export const FIRST_REPLY_HANDLE = 1000;
