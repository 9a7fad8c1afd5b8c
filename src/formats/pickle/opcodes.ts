/**
 * Pickle opcodes, protocols 0–5.
 * Source: CPython Lib/pickletools.py (the `opcodes` table) and PEP 3154 / PEP 574.
 */
export const Op = {
  MARK: 0x28, // '(' push a mark
  STOP: 0x2e, // '.' end of pickle
  POP: 0x30, // '0' discard top of stack
  POP_MARK: 0x31, // '1' discard up to the last mark
  DUP: 0x32, // '2' duplicate top of stack
  FLOAT: 0x46, // 'F' decimal float, newline-terminated
  INT: 0x49, // 'I' decimal int (or 00/01 bools), newline-terminated
  BININT: 0x4a, // 'J' 4-byte signed int
  BININT1: 0x4b, // 'K' 1-byte unsigned int
  LONG: 0x4c, // 'L' decimal long, newline-terminated
  BININT2: 0x4d, // 'M' 2-byte unsigned int
  NONE: 0x4e, // 'N' None
  PERSID: 0x50, // 'P' persistent id, newline-terminated string
  BINPERSID: 0x51, // 'Q' persistent id from the stack
  REDUCE: 0x52, // 'R' call callable(*args)
  STRING: 0x53, // 'S' quoted string, newline-terminated
  BINSTRING: 0x54, // 'T' 4-byte length + bytes (py2 str)
  SHORT_BINSTRING: 0x55, // 'U' 1-byte length + bytes (py2 str)
  UNICODE: 0x56, // 'V' raw-unicode-escape, newline-terminated
  BINUNICODE: 0x58, // 'X' 4-byte length + UTF-8
  APPEND: 0x61, // 'a' list.append
  BUILD: 0x62, // 'b' __setstate__ / __dict__.update
  GLOBAL: 0x63, // 'c' module\nname\n
  DICT: 0x64, // 'd' dict from marked key/value pairs
  EMPTY_DICT: 0x7d, // '}'
  APPENDS: 0x65, // 'e' list.extend from mark
  GET: 0x67, // 'g' memo get, decimal
  BINGET: 0x68, // 'h' memo get, 1-byte index
  INST: 0x69, // 'i' module\nname\n, args from mark
  LONG_BINGET: 0x6a, // 'j' memo get, 4-byte index
  LIST: 0x6c, // 'l' list from mark
  EMPTY_LIST: 0x5d, // ']'
  OBJ: 0x6f, // 'o' cls and args from mark
  PUT: 0x70, // 'p' memo put, decimal
  BINPUT: 0x71, // 'q' memo put, 1-byte index
  LONG_BINPUT: 0x72, // 'r' memo put, 4-byte index
  SETITEM: 0x73, // 's' dict[k] = v
  TUPLE: 0x74, // 't' tuple from mark
  EMPTY_TUPLE: 0x29, // ')'
  SETITEMS: 0x75, // 'u' dict.update from mark
  BINFLOAT: 0x47, // 'G' 8-byte big-endian double
  PROTO: 0x80, // protocol version (2+)
  NEWOBJ: 0x81, // cls.__new__(cls, *args)
  EXT1: 0x82, // extension registry code (refused)
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a, // 1-byte length + little-endian two's complement
  LONG4: 0x8b, // 4-byte length + little-endian two's complement
  BINBYTES: 0x42, // 'B' 4-byte length + bytes (protocol 3)
  SHORT_BINBYTES: 0x43, // 'C' 1-byte length + bytes
  SHORT_BINUNICODE: 0x8c, // 1-byte length + UTF-8 (protocol 4)
  BINUNICODE8: 0x8d, // 8-byte length + UTF-8
  BINBYTES8: 0x8e, // 8-byte length + bytes
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90, // set.update from mark
  FROZENSET: 0x91, // frozenset from mark
  NEWOBJ_EX: 0x92, // cls.__new__(cls, *args, **kwargs)
  STACK_GLOBAL: 0x93, // module and name from the stack
  MEMOIZE: 0x94, // memo[len(memo)] = top
  FRAME: 0x95, // 8-byte frame length (a hint; ignored)
  BYTEARRAY8: 0x96, // 8-byte length + bytes (protocol 5)
  NEXT_BUFFER: 0x97, // out-of-band buffer (refused: none are supplied)
  READONLY_BUFFER: 0x98, // no-op on in-band data
} as const;
