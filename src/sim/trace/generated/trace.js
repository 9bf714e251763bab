/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const osvsim = $root.osvsim = (() => {

    /**
     * Namespace osvsim.
     * @exports osvsim
     * @namespace
     */
    const osvsim = {};

    osvsim.trace = (function() {

        /**
         * Namespace trace.
         * @memberof osvsim
         * @namespace
         */
        const trace = {};

        trace.Record = (function() {

            /**
             * Properties of a Record.
             * @typedef {Object} osvsim.trace.Record.$Properties
             * @property {osvsim.trace.Header.$Properties|null} [header] Record header
             * @property {osvsim.trace.Block.$Properties|null} [block] Record block
             * @property {osvsim.trace.Footer.$Properties|null} [footer] Record footer
             * @property {"header"|"block"|"footer"} [record] Record record
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Record.
             * @memberof osvsim.trace
             * @interface IRecord
             * @augments osvsim.trace.Record.$Properties
             * @deprecated Use osvsim.trace.Record.$Properties instead.
             */

            /**
             * Narrowed shape of a Record.
             * @typedef {{
             *   header?: osvsim.trace.Header.$Shape|null;
             *   block?: osvsim.trace.Block.$Shape|null;
             *   footer?: osvsim.trace.Footer.$Shape|null;
             *   $unknowns?: Array.<Uint8Array>;
             * } & (
             *   ({ record?: undefined; header?: null; block?: null; footer?: null }|{ record?: "header"; header: osvsim.trace.Header.$Shape; block?: null; footer?: null }|{ record?: "block"; header?: null; block: osvsim.trace.Block.$Shape; footer?: null }|{ record?: "footer"; header?: null; block?: null; footer: osvsim.trace.Footer.$Shape })
             * )} osvsim.trace.Record.$Shape
             */

            /**
             * Constructs a new Record.
             * @memberof osvsim.trace
             * @classdesc Represents a Record.
             * @constructor
             * @param {osvsim.trace.Record.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Record = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Record header.
             * @member {osvsim.trace.Header.$Properties|null|undefined} header
             * @memberof osvsim.trace.Record
             * @instance
             */
            Record.prototype.header = null;

            /**
             * Record block.
             * @member {osvsim.trace.Block.$Properties|null|undefined} block
             * @memberof osvsim.trace.Record
             * @instance
             */
            Record.prototype.block = null;

            /**
             * Record footer.
             * @member {osvsim.trace.Footer.$Properties|null|undefined} footer
             * @memberof osvsim.trace.Record
             * @instance
             */
            Record.prototype.footer = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * Record record.
             * @member {"header"|"block"|"footer"|undefined} record
             * @memberof osvsim.trace.Record
             * @instance
             */
            $Object.defineProperty(Record.prototype, "record", {
                get: $util.oneOfGetter($oneOfFields = ["header", "block", "footer"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new Record instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Record
             * @static
             * @param {osvsim.trace.Record.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Record} Record instance
             * @type {{
             *   (properties: osvsim.trace.Record.$Shape): osvsim.trace.Record & osvsim.trace.Record.$Shape;
             *   (properties?: osvsim.trace.Record.$Properties): osvsim.trace.Record;
             * }}
             */
            Record.create = function(properties) {
                return new Record(properties);
            };

            /**
             * Encodes the specified Record message. Does not implicitly {@link osvsim.trace.Record.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Record
             * @static
             * @param {osvsim.trace.Record.$Properties} message Record message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Record.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.header != null && $Object.hasOwnProperty.call(message, "header"))
                    $root.osvsim.trace.Header.encode(message.header, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
                if (message.block != null && $Object.hasOwnProperty.call(message, "block"))
                    $root.osvsim.trace.Block.encode(message.block, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
                if (message.footer != null && $Object.hasOwnProperty.call(message, "footer"))
                    $root.osvsim.trace.Footer.encode(message.footer, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Record message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Record
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Record & osvsim.trace.Record.$Shape} Record
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Record.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Record();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            message.header = $root.osvsim.trace.Header.decode(reader, reader.size(), $undefined, _depth + 1, message.header);
                            message.record = "header";
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            message.block = $root.osvsim.trace.Block.decode(reader, reader.size(), $undefined, _depth + 1, message.block);
                            message.record = "block";
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            message.footer = $root.osvsim.trace.Footer.decode(reader, reader.size(), $undefined, _depth + 1, message.footer);
                            message.record = "footer";
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Record;
        })();

        trace.Header = (function() {

            /**
             * Properties of a Header.
             * @typedef {Object} osvsim.trace.Header.$Properties
             * @property {number|null} [formatVersion] Header formatVersion
             * @property {string|null} [osvSimVersion] Header osvSimVersion
             * @property {string|null} [nodeVersion] Header nodeVersion
             * @property {string|null} [scenarioName] Header scenarioName
             * @property {string|null} [scenarioText] Header scenarioText
             * @property {number|null} [seed] Header seed
             * @property {string|null} [strategy] Header strategy
             * @property {number|null} [blockEvents] Header blockEvents
             * @property {Array.<string>|null} [overrides] Header overrides
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Header.
             * @memberof osvsim.trace
             * @interface IHeader
             * @augments osvsim.trace.Header.$Properties
             * @deprecated Use osvsim.trace.Header.$Properties instead.
             */

            /**
             * Shape of a Header.
             * @typedef {osvsim.trace.Header.$Properties} osvsim.trace.Header.$Shape
             */

            /**
             * Constructs a new Header.
             * @memberof osvsim.trace
             * @classdesc Represents a Header.
             * @constructor
             * @param {osvsim.trace.Header.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Header = function (properties) {
                this.overrides = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Header formatVersion.
             * @member {number} formatVersion
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.formatVersion = 0;

            /**
             * Header osvSimVersion.
             * @member {string} osvSimVersion
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.osvSimVersion = "";

            /**
             * Header nodeVersion.
             * @member {string} nodeVersion
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.nodeVersion = "";

            /**
             * Header scenarioName.
             * @member {string} scenarioName
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.scenarioName = "";

            /**
             * Header scenarioText.
             * @member {string} scenarioText
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.scenarioText = "";

            /**
             * Header seed.
             * @member {number} seed
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.seed = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Header strategy.
             * @member {string} strategy
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.strategy = "";

            /**
             * Header blockEvents.
             * @member {number} blockEvents
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.blockEvents = 0;

            /**
             * Header overrides.
             * @member {Array.<string>} overrides
             * @memberof osvsim.trace.Header
             * @instance
             */
            Header.prototype.overrides = $util.emptyArray;

            /**
             * Creates a new Header instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Header
             * @static
             * @param {osvsim.trace.Header.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Header} Header instance
             * @type {{
             *   (properties: osvsim.trace.Header.$Shape): osvsim.trace.Header & osvsim.trace.Header.$Shape;
             *   (properties?: osvsim.trace.Header.$Properties): osvsim.trace.Header;
             * }}
             */
            Header.create = function(properties) {
                return new Header(properties);
            };

            /**
             * Encodes the specified Header message. Does not implicitly {@link osvsim.trace.Header.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Header
             * @static
             * @param {osvsim.trace.Header.$Properties} message Header message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Header.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.formatVersion != null && $Object.hasOwnProperty.call(message, "formatVersion") && message.formatVersion !== 0)
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.formatVersion);
                if (message.osvSimVersion != null && $Object.hasOwnProperty.call(message, "osvSimVersion") && message.osvSimVersion !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.osvSimVersion);
                if (message.nodeVersion != null && $Object.hasOwnProperty.call(message, "nodeVersion") && message.nodeVersion !== "")
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.nodeVersion);
                if (message.scenarioName != null && $Object.hasOwnProperty.call(message, "scenarioName") && message.scenarioName !== "")
                    writer.uint32(/* id 4, wireType 2 =*/34).string(message.scenarioName);
                if (message.scenarioText != null && $Object.hasOwnProperty.call(message, "scenarioText") && message.scenarioText !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.scenarioText);
                if (message.seed != null && $Object.hasOwnProperty.call(message, "seed") && (typeof message.seed === "object" ? message.seed.low || message.seed.high : message.seed !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.seed);
                if (message.strategy != null && $Object.hasOwnProperty.call(message, "strategy") && message.strategy !== "")
                    writer.uint32(/* id 7, wireType 2 =*/58).string(message.strategy);
                if (message.blockEvents != null && $Object.hasOwnProperty.call(message, "blockEvents") && message.blockEvents !== 0)
                    writer.uint32(/* id 8, wireType 0 =*/64).uint32(message.blockEvents);
                if (message.overrides != null && message.overrides.length)
                    for (let i = 0; i < message.overrides.length; ++i)
                        writer.uint32(/* id 9, wireType 2 =*/74).string(message.overrides[i]);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Header message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Header
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Header & osvsim.trace.Header.$Shape} Header
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Header.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Header();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.formatVersion = value;
                            else
                                delete message.formatVersion;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.osvSimVersion = value;
                            else
                                delete message.osvSimVersion;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.nodeVersion = value;
                            else
                                delete message.nodeVersion;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.scenarioName = value;
                            else
                                delete message.scenarioName;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.scenarioText = value;
                            else
                                delete message.scenarioText;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.seed = value;
                            else
                                delete message.seed;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.strategy = value;
                            else
                                delete message.strategy;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.blockEvents = value;
                            else
                                delete message.blockEvents;
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if (!(message.overrides && message.overrides.length))
                                message.overrides = [];
                            message.overrides.push(reader.stringVerify());
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Header;
        })();

        trace.Name = (function() {

            /**
             * Properties of a Name.
             * @typedef {Object} osvsim.trace.Name.$Properties
             * @property {number|null} [id] Name id
             * @property {string|null} [name] Name name
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Name.
             * @memberof osvsim.trace
             * @interface IName
             * @augments osvsim.trace.Name.$Properties
             * @deprecated Use osvsim.trace.Name.$Properties instead.
             */

            /**
             * Shape of a Name.
             * @typedef {osvsim.trace.Name.$Properties} osvsim.trace.Name.$Shape
             */

            /**
             * Constructs a new Name.
             * @memberof osvsim.trace
             * @classdesc Represents a Name.
             * @constructor
             * @param {osvsim.trace.Name.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Name = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Name id.
             * @member {number} id
             * @memberof osvsim.trace.Name
             * @instance
             */
            Name.prototype.id = 0;

            /**
             * Name name.
             * @member {string} name
             * @memberof osvsim.trace.Name
             * @instance
             */
            Name.prototype.name = "";

            /**
             * Creates a new Name instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Name
             * @static
             * @param {osvsim.trace.Name.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Name} Name instance
             * @type {{
             *   (properties: osvsim.trace.Name.$Shape): osvsim.trace.Name & osvsim.trace.Name.$Shape;
             *   (properties?: osvsim.trace.Name.$Properties): osvsim.trace.Name;
             * }}
             */
            Name.create = function(properties) {
                return new Name(properties);
            };

            /**
             * Encodes the specified Name message. Does not implicitly {@link osvsim.trace.Name.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Name
             * @static
             * @param {osvsim.trace.Name.$Properties} message Name message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Name.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.id != null && $Object.hasOwnProperty.call(message, "id") && message.id !== 0)
                    writer.uint32(/* id 1, wireType 0 =*/8).uint32(message.id);
                if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.name);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Name message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Name
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Name & osvsim.trace.Name.$Shape} Name
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Name.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Name();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 0)
                                break;
                            if (value = reader.uint32())
                                message.id = value;
                            else
                                delete message.id;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.name = value;
                            else
                                delete message.name;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Name;
        })();

        trace.Block = (function() {

            /**
             * Properties of a Block.
             * @typedef {Object} osvsim.trace.Block.$Properties
             * @property {Array.<number>|null} [timeDeltaNs] Block timeDeltaNs
             * @property {Array.<number>|null} [kind] Block kind
             * @property {Array.<number>|null} [runner] Block runner
             * @property {Array.<number>|null} [value] Block value
             * @property {Array.<number>|null} [choiceLabel] Block choiceLabel
             * @property {Array.<number>|null} [choiceValue] Block choiceValue
             * @property {Array.<number>|null} [choicePositionDelta] Block choicePositionDelta
             * @property {Array.<string>|null} [newLabels] Block newLabels
             * @property {Array.<osvsim.trace.Name.$Properties>|null} [newRunners] Block newRunners
             * @property {Array.<osvsim.trace.Name.$Properties>|null} [newKinds] Block newKinds
             * @property {number|null} [eventsEnd] Block eventsEnd
             * @property {number|null} [choicesEnd] Block choicesEnd
             * @property {string|null} [digest] Block digest
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Block.
             * @memberof osvsim.trace
             * @interface IBlock
             * @augments osvsim.trace.Block.$Properties
             * @deprecated Use osvsim.trace.Block.$Properties instead.
             */

            /**
             * Shape of a Block.
             * @typedef {osvsim.trace.Block.$Properties} osvsim.trace.Block.$Shape
             */

            /**
             * Constructs a new Block.
             * @memberof osvsim.trace
             * @classdesc Represents a Block.
             * @constructor
             * @param {osvsim.trace.Block.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Block = function (properties) {
                this.timeDeltaNs = [];
                this.kind = [];
                this.runner = [];
                this.value = [];
                this.choiceLabel = [];
                this.choiceValue = [];
                this.choicePositionDelta = [];
                this.newLabels = [];
                this.newRunners = [];
                this.newKinds = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Block timeDeltaNs.
             * @member {Array.<number>} timeDeltaNs
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.timeDeltaNs = $util.emptyArray;

            /**
             * Block kind.
             * @member {Array.<number>} kind
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.kind = $util.emptyArray;

            /**
             * Block runner.
             * @member {Array.<number>} runner
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.runner = $util.emptyArray;

            /**
             * Block value.
             * @member {Array.<number>} value
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.value = $util.emptyArray;

            /**
             * Block choiceLabel.
             * @member {Array.<number>} choiceLabel
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.choiceLabel = $util.emptyArray;

            /**
             * Block choiceValue.
             * @member {Array.<number>} choiceValue
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.choiceValue = $util.emptyArray;

            /**
             * Block choicePositionDelta.
             * @member {Array.<number>} choicePositionDelta
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.choicePositionDelta = $util.emptyArray;

            /**
             * Block newLabels.
             * @member {Array.<string>} newLabels
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.newLabels = $util.emptyArray;

            /**
             * Block newRunners.
             * @member {Array.<osvsim.trace.Name.$Properties>} newRunners
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.newRunners = $util.emptyArray;

            /**
             * Block newKinds.
             * @member {Array.<osvsim.trace.Name.$Properties>} newKinds
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.newKinds = $util.emptyArray;

            /**
             * Block eventsEnd.
             * @member {number} eventsEnd
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.eventsEnd = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Block choicesEnd.
             * @member {number} choicesEnd
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.choicesEnd = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Block digest.
             * @member {string} digest
             * @memberof osvsim.trace.Block
             * @instance
             */
            Block.prototype.digest = "";

            /**
             * Creates a new Block instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Block
             * @static
             * @param {osvsim.trace.Block.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Block} Block instance
             * @type {{
             *   (properties: osvsim.trace.Block.$Shape): osvsim.trace.Block & osvsim.trace.Block.$Shape;
             *   (properties?: osvsim.trace.Block.$Properties): osvsim.trace.Block;
             * }}
             */
            Block.create = function(properties) {
                return new Block(properties);
            };

            /**
             * Encodes the specified Block message. Does not implicitly {@link osvsim.trace.Block.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Block
             * @static
             * @param {osvsim.trace.Block.$Properties} message Block message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Block.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.timeDeltaNs != null && message.timeDeltaNs.length)
                    writer.uint32(/* id 1, wireType 2 =*/10).uint64s(message.timeDeltaNs);
                if (message.kind != null && message.kind.length)
                    writer.uint32(/* id 2, wireType 2 =*/18).uint32s(message.kind);
                if (message.runner != null && message.runner.length)
                    writer.uint32(/* id 3, wireType 2 =*/26).uint32s(message.runner);
                if (message.value != null && message.value.length)
                    writer.uint32(/* id 4, wireType 2 =*/34).sint64s(message.value);
                if (message.choiceLabel != null && message.choiceLabel.length)
                    writer.uint32(/* id 5, wireType 2 =*/42).uint32s(message.choiceLabel);
                if (message.choiceValue != null && message.choiceValue.length)
                    writer.uint32(/* id 6, wireType 2 =*/50).uint32s(message.choiceValue);
                if (message.choicePositionDelta != null && message.choicePositionDelta.length)
                    writer.uint32(/* id 7, wireType 2 =*/58).uint32s(message.choicePositionDelta);
                if (message.newLabels != null && message.newLabels.length)
                    for (let i = 0; i < message.newLabels.length; ++i)
                        writer.uint32(/* id 8, wireType 2 =*/66).string(message.newLabels[i]);
                if (message.newRunners != null && message.newRunners.length)
                    for (let i = 0; i < message.newRunners.length; ++i)
                        $root.osvsim.trace.Name.encode(message.newRunners[i], writer.uint32(/* id 9, wireType 2 =*/74).fork(), _depth + 1).ldelim();
                if (message.newKinds != null && message.newKinds.length)
                    for (let i = 0; i < message.newKinds.length; ++i)
                        $root.osvsim.trace.Name.encode(message.newKinds[i], writer.uint32(/* id 10, wireType 2 =*/82).fork(), _depth + 1).ldelim();
                if (message.eventsEnd != null && $Object.hasOwnProperty.call(message, "eventsEnd") && (typeof message.eventsEnd === "object" ? message.eventsEnd.low || message.eventsEnd.high : message.eventsEnd !== 0))
                    writer.uint32(/* id 11, wireType 0 =*/88).uint64(message.eventsEnd);
                if (message.choicesEnd != null && $Object.hasOwnProperty.call(message, "choicesEnd") && (typeof message.choicesEnd === "object" ? message.choicesEnd.low || message.choicesEnd.high : message.choicesEnd !== 0))
                    writer.uint32(/* id 12, wireType 0 =*/96).uint64(message.choicesEnd);
                if (message.digest != null && $Object.hasOwnProperty.call(message, "digest") && message.digest !== "")
                    writer.uint32(/* id 13, wireType 2 =*/106).string(message.digest);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Block message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Block
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Block & osvsim.trace.Block.$Shape} Block
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Block.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Block();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType === 2) {
                                if (!(message.timeDeltaNs && message.timeDeltaNs.length))
                                    message.timeDeltaNs = [];
                                reader.uint64s(message.timeDeltaNs);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.timeDeltaNs && message.timeDeltaNs.length))
                                message.timeDeltaNs = [];
                            message.timeDeltaNs.push(reader.uint64());
                            continue;
                        }
                    case 2: {
                            if (wireType === 2) {
                                if (!(message.kind && message.kind.length))
                                    message.kind = [];
                                reader.uint32s(message.kind);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.kind && message.kind.length))
                                message.kind = [];
                            message.kind.push(reader.uint32());
                            continue;
                        }
                    case 3: {
                            if (wireType === 2) {
                                if (!(message.runner && message.runner.length))
                                    message.runner = [];
                                reader.uint32s(message.runner);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.runner && message.runner.length))
                                message.runner = [];
                            message.runner.push(reader.uint32());
                            continue;
                        }
                    case 4: {
                            if (wireType === 2) {
                                if (!(message.value && message.value.length))
                                    message.value = [];
                                reader.sint64s(message.value);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.value && message.value.length))
                                message.value = [];
                            message.value.push(reader.sint64());
                            continue;
                        }
                    case 5: {
                            if (wireType === 2) {
                                if (!(message.choiceLabel && message.choiceLabel.length))
                                    message.choiceLabel = [];
                                reader.uint32s(message.choiceLabel);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.choiceLabel && message.choiceLabel.length))
                                message.choiceLabel = [];
                            message.choiceLabel.push(reader.uint32());
                            continue;
                        }
                    case 6: {
                            if (wireType === 2) {
                                if (!(message.choiceValue && message.choiceValue.length))
                                    message.choiceValue = [];
                                reader.uint32s(message.choiceValue);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.choiceValue && message.choiceValue.length))
                                message.choiceValue = [];
                            message.choiceValue.push(reader.uint32());
                            continue;
                        }
                    case 7: {
                            if (wireType === 2) {
                                if (!(message.choicePositionDelta && message.choicePositionDelta.length))
                                    message.choicePositionDelta = [];
                                reader.uint32s(message.choicePositionDelta);
                                continue;
                            }
                            if (wireType !== 0)
                                break;
                            if (!(message.choicePositionDelta && message.choicePositionDelta.length))
                                message.choicePositionDelta = [];
                            message.choicePositionDelta.push(reader.uint32());
                            continue;
                        }
                    case 8: {
                            if (wireType !== 2)
                                break;
                            if (!(message.newLabels && message.newLabels.length))
                                message.newLabels = [];
                            message.newLabels.push(reader.stringVerify());
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if (!(message.newRunners && message.newRunners.length))
                                message.newRunners = [];
                            message.newRunners.push($root.osvsim.trace.Name.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    case 10: {
                            if (wireType !== 2)
                                break;
                            if (!(message.newKinds && message.newKinds.length))
                                message.newKinds = [];
                            message.newKinds.push($root.osvsim.trace.Name.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    case 11: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.eventsEnd = value;
                            else
                                delete message.eventsEnd;
                            continue;
                        }
                    case 12: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.choicesEnd = value;
                            else
                                delete message.choicesEnd;
                            continue;
                        }
                    case 13: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.digest = value;
                            else
                                delete message.digest;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Block;
        })();

        trace.Failure = (function() {

            /**
             * Properties of a Failure.
             * @typedef {Object} osvsim.trace.Failure.$Properties
             * @property {string|null} [check] Failure check
             * @property {string|null} [message] Failure message
             * @property {number|null} [timeNs] Failure timeNs
             * @property {number|null} [eventIndex] Failure eventIndex
             * @property {string|null} [runner] Failure runner
             * @property {Array.<string>|null} [recent] Failure recent
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Failure.
             * @memberof osvsim.trace
             * @interface IFailure
             * @augments osvsim.trace.Failure.$Properties
             * @deprecated Use osvsim.trace.Failure.$Properties instead.
             */

            /**
             * Shape of a Failure.
             * @typedef {osvsim.trace.Failure.$Properties} osvsim.trace.Failure.$Shape
             */

            /**
             * Constructs a new Failure.
             * @memberof osvsim.trace
             * @classdesc Represents a Failure.
             * @constructor
             * @param {osvsim.trace.Failure.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Failure = function (properties) {
                this.recent = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Failure check.
             * @member {string} check
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.check = "";

            /**
             * Failure message.
             * @member {string} message
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.message = "";

            /**
             * Failure timeNs.
             * @member {number} timeNs
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.timeNs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Failure eventIndex.
             * @member {number} eventIndex
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.eventIndex = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Failure runner.
             * @member {string} runner
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.runner = "";

            /**
             * Failure recent.
             * @member {Array.<string>} recent
             * @memberof osvsim.trace.Failure
             * @instance
             */
            Failure.prototype.recent = $util.emptyArray;

            /**
             * Creates a new Failure instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Failure
             * @static
             * @param {osvsim.trace.Failure.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Failure} Failure instance
             * @type {{
             *   (properties: osvsim.trace.Failure.$Shape): osvsim.trace.Failure & osvsim.trace.Failure.$Shape;
             *   (properties?: osvsim.trace.Failure.$Properties): osvsim.trace.Failure;
             * }}
             */
            Failure.create = function(properties) {
                return new Failure(properties);
            };

            /**
             * Encodes the specified Failure message. Does not implicitly {@link osvsim.trace.Failure.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Failure
             * @static
             * @param {osvsim.trace.Failure.$Properties} message Failure message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Failure.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.check != null && $Object.hasOwnProperty.call(message, "check") && message.check !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.check);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.message);
                if (message.timeNs != null && $Object.hasOwnProperty.call(message, "timeNs") && (typeof message.timeNs === "object" ? message.timeNs.low || message.timeNs.high : message.timeNs !== 0))
                    writer.uint32(/* id 3, wireType 0 =*/24).uint64(message.timeNs);
                if (message.eventIndex != null && $Object.hasOwnProperty.call(message, "eventIndex") && (typeof message.eventIndex === "object" ? message.eventIndex.low || message.eventIndex.high : message.eventIndex !== 0))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.eventIndex);
                if (message.runner != null && $Object.hasOwnProperty.call(message, "runner") && message.runner !== "")
                    writer.uint32(/* id 5, wireType 2 =*/42).string(message.runner);
                if (message.recent != null && message.recent.length)
                    for (let i = 0; i < message.recent.length; ++i)
                        writer.uint32(/* id 6, wireType 2 =*/50).string(message.recent[i]);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Failure message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Failure
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Failure & osvsim.trace.Failure.$Shape} Failure
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Failure.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Failure();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.check = value;
                            else
                                delete message.check;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.message = value;
                            else
                                delete message.message;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.timeNs = value;
                            else
                                delete message.timeNs;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.eventIndex = value;
                            else
                                delete message.eventIndex;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.runner = value;
                            else
                                delete message.runner;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 2)
                                break;
                            if (!(message.recent && message.recent.length))
                                message.recent = [];
                            message.recent.push(reader.stringVerify());
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Failure;
        })();

        trace.CheckResult = (function() {

            /**
             * Properties of a CheckResult.
             * @typedef {Object} osvsim.trace.CheckResult.$Properties
             * @property {string|null} [name] CheckResult name
             * @property {string|null} [status] CheckResult status
             * @property {string|null} [message] CheckResult message
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a CheckResult.
             * @memberof osvsim.trace
             * @interface ICheckResult
             * @augments osvsim.trace.CheckResult.$Properties
             * @deprecated Use osvsim.trace.CheckResult.$Properties instead.
             */

            /**
             * Shape of a CheckResult.
             * @typedef {osvsim.trace.CheckResult.$Properties} osvsim.trace.CheckResult.$Shape
             */

            /**
             * Constructs a new CheckResult.
             * @memberof osvsim.trace
             * @classdesc Represents a CheckResult.
             * @constructor
             * @param {osvsim.trace.CheckResult.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const CheckResult = function (properties) {
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * CheckResult name.
             * @member {string} name
             * @memberof osvsim.trace.CheckResult
             * @instance
             */
            CheckResult.prototype.name = "";

            /**
             * CheckResult status.
             * @member {string} status
             * @memberof osvsim.trace.CheckResult
             * @instance
             */
            CheckResult.prototype.status = "";

            /**
             * CheckResult message.
             * @member {string} message
             * @memberof osvsim.trace.CheckResult
             * @instance
             */
            CheckResult.prototype.message = "";

            /**
             * Creates a new CheckResult instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.CheckResult
             * @static
             * @param {osvsim.trace.CheckResult.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.CheckResult} CheckResult instance
             * @type {{
             *   (properties: osvsim.trace.CheckResult.$Shape): osvsim.trace.CheckResult & osvsim.trace.CheckResult.$Shape;
             *   (properties?: osvsim.trace.CheckResult.$Properties): osvsim.trace.CheckResult;
             * }}
             */
            CheckResult.create = function(properties) {
                return new CheckResult(properties);
            };

            /**
             * Encodes the specified CheckResult message. Does not implicitly {@link osvsim.trace.CheckResult.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.CheckResult
             * @static
             * @param {osvsim.trace.CheckResult.$Properties} message CheckResult message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CheckResult.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.name != null && $Object.hasOwnProperty.call(message, "name") && message.name !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.name);
                if (message.status != null && $Object.hasOwnProperty.call(message, "status") && message.status !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.status);
                if (message.message != null && $Object.hasOwnProperty.call(message, "message") && message.message !== "")
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.message);
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a CheckResult message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.CheckResult
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.CheckResult & osvsim.trace.CheckResult.$Shape} CheckResult
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CheckResult.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.CheckResult();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.name = value;
                            else
                                delete message.name;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.status = value;
                            else
                                delete message.status;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.message = value;
                            else
                                delete message.message;
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return CheckResult;
        })();

        trace.Footer = (function() {

            /**
             * Properties of a Footer.
             * @typedef {Object} osvsim.trace.Footer.$Properties
             * @property {string|null} [outcome] Footer outcome
             * @property {string|null} [reason] Footer reason
             * @property {string|null} [digest] Footer digest
             * @property {number|null} [events] Footer events
             * @property {number|null} [choices] Footer choices
             * @property {number|null} [nonZeroChoices] Footer nonZeroChoices
             * @property {number|null} [virtualNs] Footer virtualNs
             * @property {osvsim.trace.Failure.$Properties|null} [failure] Footer failure
             * @property {Array.<osvsim.trace.CheckResult.$Properties>|null} [checks] Footer checks
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */

            /**
             * Properties of a Footer.
             * @memberof osvsim.trace
             * @interface IFooter
             * @augments osvsim.trace.Footer.$Properties
             * @deprecated Use osvsim.trace.Footer.$Properties instead.
             */

            /**
             * Shape of a Footer.
             * @typedef {osvsim.trace.Footer.$Properties} osvsim.trace.Footer.$Shape
             */

            /**
             * Constructs a new Footer.
             * @memberof osvsim.trace
             * @classdesc Represents a Footer.
             * @constructor
             * @param {osvsim.trace.Footer.$Properties=} [properties] Properties to set
             * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
             */
            const Footer = function (properties) {
                this.checks = [];
                if (properties)
                    for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                        if (properties[keys[i]] != null && keys[i] !== "__proto__")
                            this[keys[i]] = properties[keys[i]];
            };

            /**
             * Footer outcome.
             * @member {string} outcome
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.outcome = "";

            /**
             * Footer reason.
             * @member {string} reason
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.reason = "";

            /**
             * Footer digest.
             * @member {string} digest
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.digest = "";

            /**
             * Footer events.
             * @member {number} events
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.events = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Footer choices.
             * @member {number} choices
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.choices = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Footer nonZeroChoices.
             * @member {number} nonZeroChoices
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.nonZeroChoices = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Footer virtualNs.
             * @member {number} virtualNs
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.virtualNs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Footer failure.
             * @member {osvsim.trace.Failure.$Properties|null|undefined} failure
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.failure = null;

            /**
             * Footer checks.
             * @member {Array.<osvsim.trace.CheckResult.$Properties>} checks
             * @memberof osvsim.trace.Footer
             * @instance
             */
            Footer.prototype.checks = $util.emptyArray;

            /**
             * Creates a new Footer instance using the specified properties.
             * @function create
             * @memberof osvsim.trace.Footer
             * @static
             * @param {osvsim.trace.Footer.$Properties=} [properties] Properties to set
             * @returns {osvsim.trace.Footer} Footer instance
             * @type {{
             *   (properties: osvsim.trace.Footer.$Shape): osvsim.trace.Footer & osvsim.trace.Footer.$Shape;
             *   (properties?: osvsim.trace.Footer.$Properties): osvsim.trace.Footer;
             * }}
             */
            Footer.create = function(properties) {
                return new Footer(properties);
            };

            /**
             * Encodes the specified Footer message. Does not implicitly {@link osvsim.trace.Footer.verify|verify} messages.
             * @function encode
             * @memberof osvsim.trace.Footer
             * @static
             * @param {osvsim.trace.Footer.$Properties} message Footer message or plain object to encode
             * @param {$protobuf.Writer} [writer] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Footer.encode = function (message, writer, _depth) {
                if (!writer)
                    writer = $Writer.create();
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $util.recursionLimit)
                    throw $Error("max depth exceeded");
                if (message.outcome != null && $Object.hasOwnProperty.call(message, "outcome") && message.outcome !== "")
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.outcome);
                if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.reason);
                if (message.digest != null && $Object.hasOwnProperty.call(message, "digest") && message.digest !== "")
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.digest);
                if (message.events != null && $Object.hasOwnProperty.call(message, "events") && (typeof message.events === "object" ? message.events.low || message.events.high : message.events !== 0))
                    writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.events);
                if (message.choices != null && $Object.hasOwnProperty.call(message, "choices") && (typeof message.choices === "object" ? message.choices.low || message.choices.high : message.choices !== 0))
                    writer.uint32(/* id 5, wireType 0 =*/40).uint64(message.choices);
                if (message.nonZeroChoices != null && $Object.hasOwnProperty.call(message, "nonZeroChoices") && (typeof message.nonZeroChoices === "object" ? message.nonZeroChoices.low || message.nonZeroChoices.high : message.nonZeroChoices !== 0))
                    writer.uint32(/* id 6, wireType 0 =*/48).uint64(message.nonZeroChoices);
                if (message.virtualNs != null && $Object.hasOwnProperty.call(message, "virtualNs") && (typeof message.virtualNs === "object" ? message.virtualNs.low || message.virtualNs.high : message.virtualNs !== 0))
                    writer.uint32(/* id 7, wireType 0 =*/56).uint64(message.virtualNs);
                if (message.failure != null && $Object.hasOwnProperty.call(message, "failure"))
                    $root.osvsim.trace.Failure.encode(message.failure, writer.uint32(/* id 8, wireType 2 =*/66).fork(), _depth + 1).ldelim();
                if (message.checks != null && message.checks.length)
                    for (let i = 0; i < message.checks.length; ++i)
                        $root.osvsim.trace.CheckResult.encode(message.checks[i], writer.uint32(/* id 9, wireType 2 =*/74).fork(), _depth + 1).ldelim();
                if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                    for (let i = 0; i < message.$unknowns.length; ++i)
                        writer.raw(message.$unknowns[i]);
                return writer;
            };

            /**
             * Decodes a Footer message from the specified reader or buffer.
             * @function decode
             * @memberof osvsim.trace.Footer
             * @static
             * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
             * @param {number} [length] Message length if known beforehand
             * @returns {osvsim.trace.Footer & osvsim.trace.Footer.$Shape} Footer
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Footer.decode = function (reader, length, _end, _depth, _target) {
                if (!(reader instanceof $Reader))
                    reader = $Reader.create(reader);
                if (_depth === $undefined)
                    _depth = 0;
                if (_depth > $Reader.recursionLimit)
                    throw $Error("max depth exceeded");
                let end, message, value;
                if (length === $undefined)
                    end = reader.len;
                else {
                    end = reader.pos + length;
                    if (end > reader.len)
                        throw $RangeError("index out of range");
                    length = reader.len;
                    reader.len = end;
                }
                message = _target || new $root.osvsim.trace.Footer();
                while (reader.pos < end) {
                    let start = reader.pos;
                    let tag = reader.tag();
                    if (tag === _end) {
                        _end = $undefined;
                        break;
                    }
                    let wireType = tag & 7;
                    switch (tag >>>= 3) {
                    case 1: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.outcome = value;
                            else
                                delete message.outcome;
                            continue;
                        }
                    case 2: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.reason = value;
                            else
                                delete message.reason;
                            continue;
                        }
                    case 3: {
                            if (wireType !== 2)
                                break;
                            if ((value = reader.stringVerify()).length)
                                message.digest = value;
                            else
                                delete message.digest;
                            continue;
                        }
                    case 4: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.events = value;
                            else
                                delete message.events;
                            continue;
                        }
                    case 5: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.choices = value;
                            else
                                delete message.choices;
                            continue;
                        }
                    case 6: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.nonZeroChoices = value;
                            else
                                delete message.nonZeroChoices;
                            continue;
                        }
                    case 7: {
                            if (wireType !== 0)
                                break;
                            if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                                message.virtualNs = value;
                            else
                                delete message.virtualNs;
                            continue;
                        }
                    case 8: {
                            if (wireType !== 2)
                                break;
                            message.failure = $root.osvsim.trace.Failure.decode(reader, reader.size(), $undefined, _depth + 1, message.failure);
                            continue;
                        }
                    case 9: {
                            if (wireType !== 2)
                                break;
                            if (!(message.checks && message.checks.length))
                                message.checks = [];
                            message.checks.push($root.osvsim.trace.CheckResult.decode(reader, reader.size(), $undefined, _depth + 1));
                            continue;
                        }
                    }
                    reader.skipType(wireType, _depth, tag);
                    if (!reader.discardUnknown) {
                        $util.makeProp(message, "$unknowns", false);
                        (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                    }
                }
                if (length !== $undefined) {
                    if (reader.pos !== end)
                        throw $RangeError("index out of range");
                    reader.len = length;
                }
                if (_end !== $undefined)
                    throw $Error("missing end group");
                return message;
            };

            return Footer;
        })();

        return trace;
    })();

    return osvsim;
})();

export {
  $root as default
};
