package org.sessiongrid.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the decoder with Jazzer. In a normal build this replays the committed
 * corpus in {@code src/test/resources/org/sessiongrid/wire/WireCodecFuzzTestInputs/decode/} (Jazzer's
 * regression mode, a fraction of a second); with {@code JAZZER_FUZZ=1} Jazzer mutates inputs for
 * {@code maxDuration} and writes any crashing input next to the corpus, where it then stays as a
 * regression test. See the README for the commands.
 *
 * <p>The property: decoding never throws anything but {@link MalformedMessageException}, and a
 * message that decodes encodes to bytes that decode to the same message.
 */
class WireCodecFuzzTest {

    /** Small enough that the fuzzer reaches the limit checks, big enough for every corpus value. */
    private static final WireCodec CODEC = new WireCodec(WireSamples.LARGEST_VALUE);

    @FuzzTest(maxDuration = "5m")
    void decode(byte[] input) {
        WireCodecTest.decodeOrReject(CODEC, input);
    }
}
