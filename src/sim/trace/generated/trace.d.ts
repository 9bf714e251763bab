import * as $protobuf from "protobufjs";
import Long = require("long");

/** Namespace osvsim. */
export namespace osvsim {

    /** Namespace trace. */
    namespace trace {

        /**
         * Properties of a Record.
         * @deprecated Use osvsim.trace.Record.$Properties instead.
         */
        interface IRecord extends osvsim.trace.Record.$Properties {
        }

        /** Represents a Record. */
        class Record {

            /**
             * Constructs a new Record.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Record.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Record header. */
            header?: (osvsim.trace.Header.$Properties|null);

            /** Record block. */
            block?: (osvsim.trace.Block.$Properties|null);

            /** Record footer. */
            footer?: (osvsim.trace.Footer.$Properties|null);

            /** Record record. */
            record?: ("header"|"block"|"footer");

            /**
             * Creates a new Record instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Record instance
             */
            static create(properties: osvsim.trace.Record.$Shape): osvsim.trace.Record & osvsim.trace.Record.$Shape;
            static create(properties?: osvsim.trace.Record.$Properties): osvsim.trace.Record;

            /**
             * Encodes the specified Record message. Does not implicitly {@link osvsim.trace.Record.verify|verify} messages.
             * @param message Record message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Record.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Record message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Record & osvsim.trace.Record.$Shape} Record
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Record & osvsim.trace.Record.$Shape;
        }

        namespace Record {

            /** Properties of a Record. */
            interface $Properties {

                /** Record header */
                header?: (osvsim.trace.Header.$Properties|null);

                /** Record block */
                block?: (osvsim.trace.Block.$Properties|null);

                /** Record footer */
                footer?: (osvsim.trace.Footer.$Properties|null);

                /** Record record */
                record?: ("header"|"block"|"footer");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of a Record. */
            type $Shape = {
              header?: osvsim.trace.Header.$Shape|null;
              block?: osvsim.trace.Block.$Shape|null;
              footer?: osvsim.trace.Footer.$Shape|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ record?: undefined; header?: null; block?: null; footer?: null }|{ record?: "header"; header: osvsim.trace.Header.$Shape; block?: null; footer?: null }|{ record?: "block"; header?: null; block: osvsim.trace.Block.$Shape; footer?: null }|{ record?: "footer"; header?: null; block?: null; footer: osvsim.trace.Footer.$Shape })
            );
        }

        /**
         * Properties of a Header.
         * @deprecated Use osvsim.trace.Header.$Properties instead.
         */
        interface IHeader extends osvsim.trace.Header.$Properties {
        }

        /** Represents a Header. */
        class Header {

            /**
             * Constructs a new Header.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Header.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Header formatVersion. */
            formatVersion: number;

            /** Header osvSimVersion. */
            osvSimVersion: string;

            /** Header nodeVersion. */
            nodeVersion: string;

            /** Header scenarioName. */
            scenarioName: string;

            /** Header scenarioText. */
            scenarioText: string;

            /** Header seed. */
            seed: number;

            /** Header strategy. */
            strategy: string;

            /** Header blockEvents. */
            blockEvents: number;

            /** Header overrides. */
            overrides: string[];

            /**
             * Creates a new Header instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Header instance
             */
            static create(properties: osvsim.trace.Header.$Shape): osvsim.trace.Header & osvsim.trace.Header.$Shape;
            static create(properties?: osvsim.trace.Header.$Properties): osvsim.trace.Header;

            /**
             * Encodes the specified Header message. Does not implicitly {@link osvsim.trace.Header.verify|verify} messages.
             * @param message Header message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Header.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Header message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Header & osvsim.trace.Header.$Shape} Header
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Header & osvsim.trace.Header.$Shape;
        }

        namespace Header {

            /** Properties of a Header. */
            interface $Properties {

                /** Header formatVersion */
                formatVersion?: (number|null);

                /** Header osvSimVersion */
                osvSimVersion?: (string|null);

                /** Header nodeVersion */
                nodeVersion?: (string|null);

                /** Header scenarioName */
                scenarioName?: (string|null);

                /** Header scenarioText */
                scenarioText?: (string|null);

                /** Header seed */
                seed?: (number|null);

                /** Header strategy */
                strategy?: (string|null);

                /** Header blockEvents */
                blockEvents?: (number|null);

                /** Header overrides */
                overrides?: (string[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Header. */
            type $Shape = osvsim.trace.Header.$Properties;
        }

        /**
         * Properties of a Name.
         * @deprecated Use osvsim.trace.Name.$Properties instead.
         */
        interface IName extends osvsim.trace.Name.$Properties {
        }

        /** Represents a Name. */
        class Name {

            /**
             * Constructs a new Name.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Name.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Name id. */
            id: number;

            /** Name name. */
            name: string;

            /**
             * Creates a new Name instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Name instance
             */
            static create(properties: osvsim.trace.Name.$Shape): osvsim.trace.Name & osvsim.trace.Name.$Shape;
            static create(properties?: osvsim.trace.Name.$Properties): osvsim.trace.Name;

            /**
             * Encodes the specified Name message. Does not implicitly {@link osvsim.trace.Name.verify|verify} messages.
             * @param message Name message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Name.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Name message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Name & osvsim.trace.Name.$Shape} Name
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Name & osvsim.trace.Name.$Shape;
        }

        namespace Name {

            /** Properties of a Name. */
            interface $Properties {

                /** Name id */
                id?: (number|null);

                /** Name name */
                name?: (string|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Name. */
            type $Shape = osvsim.trace.Name.$Properties;
        }

        /**
         * Properties of a Block.
         * @deprecated Use osvsim.trace.Block.$Properties instead.
         */
        interface IBlock extends osvsim.trace.Block.$Properties {
        }

        /** Represents a Block. */
        class Block {

            /**
             * Constructs a new Block.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Block.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Block timeDeltaNs. */
            timeDeltaNs: number[];

            /** Block kind. */
            kind: number[];

            /** Block runner. */
            runner: number[];

            /** Block value. */
            value: number[];

            /** Block choiceLabel. */
            choiceLabel: number[];

            /** Block choiceValue. */
            choiceValue: number[];

            /** Block choicePositionDelta. */
            choicePositionDelta: number[];

            /** Block newLabels. */
            newLabels: string[];

            /** Block newRunners. */
            newRunners: osvsim.trace.Name.$Properties[];

            /** Block newKinds. */
            newKinds: osvsim.trace.Name.$Properties[];

            /** Block eventsEnd. */
            eventsEnd: number;

            /** Block choicesEnd. */
            choicesEnd: number;

            /** Block digest. */
            digest: string;

            /**
             * Creates a new Block instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Block instance
             */
            static create(properties: osvsim.trace.Block.$Shape): osvsim.trace.Block & osvsim.trace.Block.$Shape;
            static create(properties?: osvsim.trace.Block.$Properties): osvsim.trace.Block;

            /**
             * Encodes the specified Block message. Does not implicitly {@link osvsim.trace.Block.verify|verify} messages.
             * @param message Block message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Block.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Block message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Block & osvsim.trace.Block.$Shape} Block
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Block & osvsim.trace.Block.$Shape;
        }

        namespace Block {

            /** Properties of a Block. */
            interface $Properties {

                /** Block timeDeltaNs */
                timeDeltaNs?: (number[]|null);

                /** Block kind */
                kind?: (number[]|null);

                /** Block runner */
                runner?: (number[]|null);

                /** Block value */
                value?: (number[]|null);

                /** Block choiceLabel */
                choiceLabel?: (number[]|null);

                /** Block choiceValue */
                choiceValue?: (number[]|null);

                /** Block choicePositionDelta */
                choicePositionDelta?: (number[]|null);

                /** Block newLabels */
                newLabels?: (string[]|null);

                /** Block newRunners */
                newRunners?: (osvsim.trace.Name.$Properties[]|null);

                /** Block newKinds */
                newKinds?: (osvsim.trace.Name.$Properties[]|null);

                /** Block eventsEnd */
                eventsEnd?: (number|null);

                /** Block choicesEnd */
                choicesEnd?: (number|null);

                /** Block digest */
                digest?: (string|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Block. */
            type $Shape = osvsim.trace.Block.$Properties;
        }

        /**
         * Properties of a Failure.
         * @deprecated Use osvsim.trace.Failure.$Properties instead.
         */
        interface IFailure extends osvsim.trace.Failure.$Properties {
        }

        /** Represents a Failure. */
        class Failure {

            /**
             * Constructs a new Failure.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Failure.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Failure check. */
            check: string;

            /** Failure message. */
            message: string;

            /** Failure timeNs. */
            timeNs: number;

            /** Failure eventIndex. */
            eventIndex: number;

            /** Failure runner. */
            runner: string;

            /** Failure recent. */
            recent: string[];

            /**
             * Creates a new Failure instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Failure instance
             */
            static create(properties: osvsim.trace.Failure.$Shape): osvsim.trace.Failure & osvsim.trace.Failure.$Shape;
            static create(properties?: osvsim.trace.Failure.$Properties): osvsim.trace.Failure;

            /**
             * Encodes the specified Failure message. Does not implicitly {@link osvsim.trace.Failure.verify|verify} messages.
             * @param message Failure message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Failure.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Failure message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Failure & osvsim.trace.Failure.$Shape} Failure
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Failure & osvsim.trace.Failure.$Shape;
        }

        namespace Failure {

            /** Properties of a Failure. */
            interface $Properties {

                /** Failure check */
                check?: (string|null);

                /** Failure message */
                message?: (string|null);

                /** Failure timeNs */
                timeNs?: (number|null);

                /** Failure eventIndex */
                eventIndex?: (number|null);

                /** Failure runner */
                runner?: (string|null);

                /** Failure recent */
                recent?: (string[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Failure. */
            type $Shape = osvsim.trace.Failure.$Properties;
        }

        /**
         * Properties of a CheckResult.
         * @deprecated Use osvsim.trace.CheckResult.$Properties instead.
         */
        interface ICheckResult extends osvsim.trace.CheckResult.$Properties {
        }

        /** Represents a CheckResult. */
        class CheckResult {

            /**
             * Constructs a new CheckResult.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.CheckResult.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** CheckResult name. */
            name: string;

            /** CheckResult status. */
            status: string;

            /** CheckResult message. */
            message: string;

            /**
             * Creates a new CheckResult instance using the specified properties.
             * @param [properties] Properties to set
             * @returns CheckResult instance
             */
            static create(properties: osvsim.trace.CheckResult.$Shape): osvsim.trace.CheckResult & osvsim.trace.CheckResult.$Shape;
            static create(properties?: osvsim.trace.CheckResult.$Properties): osvsim.trace.CheckResult;

            /**
             * Encodes the specified CheckResult message. Does not implicitly {@link osvsim.trace.CheckResult.verify|verify} messages.
             * @param message CheckResult message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.CheckResult.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a CheckResult message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.CheckResult & osvsim.trace.CheckResult.$Shape} CheckResult
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.CheckResult & osvsim.trace.CheckResult.$Shape;
        }

        namespace CheckResult {

            /** Properties of a CheckResult. */
            interface $Properties {

                /** CheckResult name */
                name?: (string|null);

                /** CheckResult status */
                status?: (string|null);

                /** CheckResult message */
                message?: (string|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a CheckResult. */
            type $Shape = osvsim.trace.CheckResult.$Properties;
        }

        /**
         * Properties of a Footer.
         * @deprecated Use osvsim.trace.Footer.$Properties instead.
         */
        interface IFooter extends osvsim.trace.Footer.$Properties {
        }

        /** Represents a Footer. */
        class Footer {

            /**
             * Constructs a new Footer.
             * @param [properties] Properties to set
             */
            constructor(properties?: osvsim.trace.Footer.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Footer outcome. */
            outcome: string;

            /** Footer reason. */
            reason: string;

            /** Footer digest. */
            digest: string;

            /** Footer events. */
            events: number;

            /** Footer choices. */
            choices: number;

            /** Footer nonZeroChoices. */
            nonZeroChoices: number;

            /** Footer virtualNs. */
            virtualNs: number;

            /** Footer failure. */
            failure?: (osvsim.trace.Failure.$Properties|null);

            /** Footer checks. */
            checks: osvsim.trace.CheckResult.$Properties[];

            /**
             * Creates a new Footer instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Footer instance
             */
            static create(properties: osvsim.trace.Footer.$Shape): osvsim.trace.Footer & osvsim.trace.Footer.$Shape;
            static create(properties?: osvsim.trace.Footer.$Properties): osvsim.trace.Footer;

            /**
             * Encodes the specified Footer message. Does not implicitly {@link osvsim.trace.Footer.verify|verify} messages.
             * @param message Footer message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: osvsim.trace.Footer.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Footer message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {osvsim.trace.Footer & osvsim.trace.Footer.$Shape} Footer
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): osvsim.trace.Footer & osvsim.trace.Footer.$Shape;
        }

        namespace Footer {

            /** Properties of a Footer. */
            interface $Properties {

                /** Footer outcome */
                outcome?: (string|null);

                /** Footer reason */
                reason?: (string|null);

                /** Footer digest */
                digest?: (string|null);

                /** Footer events */
                events?: (number|null);

                /** Footer choices */
                choices?: (number|null);

                /** Footer nonZeroChoices */
                nonZeroChoices?: (number|null);

                /** Footer virtualNs */
                virtualNs?: (number|null);

                /** Footer failure */
                failure?: (osvsim.trace.Failure.$Properties|null);

                /** Footer checks */
                checks?: (osvsim.trace.CheckResult.$Properties[]|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Footer. */
            type $Shape = osvsim.trace.Footer.$Properties;
        }
    }
}
