package org.sessiongrid.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The seed corpus of {@link WireCodecFuzzTest}: one file per {@link WireSamples} entry
 * ({@code sample-<label>}, its encoding), next to any input fuzzing found. Seeds that no longer decode
 * would leave the fuzzer starting from noise, so this checks that every message type has a seed that
 * decodes under the current format. After a format change, rewrite the seeds:
 *
 * <pre>
 * mvn -pl core test -Dtest=WireCorpusTest -Dsessiongrid.writeCorpus=true
 * </pre>
 */
class WireCorpusTest {

    /** Where Jazzer looks for the seeds of {@code WireCodecFuzzTest.decode}, under the test resources. */
    static final String DIRECTORY = "org/sessiongrid/wire/WireCodecFuzzTestInputs/decode";
    static final String PREFIX = "sample-";
    private static final WireCodec CODEC = new WireCodec(WireSamples.LARGEST_VALUE);

    @Test
    @DisabledIfSystemProperty(named = "sessiongrid.writeCorpus", matches = "true") // resources copied before
    void everyMessageTypeHasASeedThatDecodes() throws IOException, URISyntaxException {
        URL url = getClass().getResource("/" + DIRECTORY);
        assertNotNull(url, DIRECTORY + " is missing from the test resources");
        Set<String> seeded = new TreeSet<>();
        try (Stream<Path> files = Files.list(Paths.get(url.toURI()))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList()) {
                try {
                    seeded.add(CODEC.decode(Files.readAllBytes(f)).getClass().getName());
                } catch (MalformedMessageException e) {
                    throw new AssertionError("seed " + f.getFileName() + " no longer decodes (" + e.getMessage()
                            + "): rewrite the corpus with -Dsessiongrid.writeCorpus=true", e);
                }
            }
        }
        Set<String> permitted = Arrays.stream(GridMessage.class.getPermittedSubclasses()).map(Class::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(permitted, seeded, "message types with a seed: rewrite the corpus with "
                + "-Dsessiongrid.writeCorpus=true");
    }

    /**
     * The seeds were written by the encoder of their day: byte for byte the same encoding today means
     * that a change of the encoder (a faster way to write the same thing) did not change the format.
     * After a deliberate format change, rewrite the corpus as above.
     */
    @Test
    @DisabledIfSystemProperty(named = "sessiongrid.writeCorpus", matches = "true")
    void everySampleEncodesExactlyAsItsSeed() throws IOException, URISyntaxException {
        URL url = getClass().getResource("/" + DIRECTORY);
        assertNotNull(url, DIRECTORY + " is missing from the test resources");
        Path dir = Paths.get(url.toURI());
        for (Map.Entry<String, GridMessage> e : WireSamples.all().entrySet()) {
            Path seed = dir.resolve(PREFIX + e.getKey());
            assertArrayEquals(Files.readAllBytes(seed), CODEC.encode(e.getValue()), "encoding of sample " + e.getKey()
                    + " differs from its seed: if the format was meant to change, rewrite the corpus (see above)");
        }
    }

    /**
     * A rolling upgrade mixes members that send an invalidation's base and members that do not (issue 17,
     * item 3). Both shapes have one layout: the seed an older member's encoder wrote decodes as an
     * invalidation without a base (which a primary applies as it always did), and one with a base differs
     * from it only in the eight bytes of that field, so an older member reads it with the reader it has.
     */
    @Test
    @DisabledIfSystemProperty(named = "sessiongrid.writeCorpus", matches = "true")
    void anInvalidationWithOrWithoutABaseHasTheLayoutOfEveryVersion() throws IOException, URISyntaxException,
            MalformedMessageException {
        URL url = getClass().getResource("/" + DIRECTORY);
        assertNotNull(url, DIRECTORY + " is missing from the test resources");
        Path dir = Paths.get(url.toURI());
        byte[] old = Files.readAllBytes(dir.resolve(PREFIX + "CommitRequest-invalidate"));
        GridMessage.CommitRequest decoded = (GridMessage.CommitRequest) CODEC.decode(old);
        WireAssertions.assertSameMessage(CODEC, GridMessage.CommitRequest.invalidate(42, WireSamples.KEY, 600), decoded);
        assertEquals(0, decoded.baseVersion(), "an older member's invalidation names no base");

        GridMessage.CommitRequest withBase = GridMessage.CommitRequest.invalidate(42, WireSamples.KEY, 42L << 32 | 7, 600);
        byte[] now = CODEC.encode(withBase);
        assertArrayEquals(Files.readAllBytes(dir.resolve(PREFIX + "CommitRequest-invalidateWithBase")), now);
        assertEquals(old.length, now.length, "the same layout");
        int differing = 0;
        for (int i = 0; i < old.length; i++) {
            differing += old[i] != now[i] ? 1 : 0;
        }
        assertTrue(differing > 0 && differing <= Long.BYTES, "only the base's bytes differ: " + differing);
        WireAssertions.assertSameMessage(CODEC, withBase, CODEC.decode(now));
    }

    /** Not a test: writes the seeds into the source tree (Surefire runs in the module directory). */
    @Test
    @EnabledIfSystemProperty(named = "sessiongrid.writeCorpus", matches = "true")
    void writeCorpus() throws IOException {
        Path dir = Paths.get("src/test/resources").resolve(DIRECTORY);
        Files.createDirectories(dir);
        try (Stream<Path> old = Files.list(dir)) {
            for (Path f : old.filter(p -> p.getFileName().toString().startsWith(PREFIX)).toList()) {
                Files.delete(f);
            }
        }
        Map<String, GridMessage> samples = WireSamples.all();
        for (Map.Entry<String, GridMessage> e : samples.entrySet()) {
            Files.write(dir.resolve(PREFIX + e.getKey()), CODEC.encode(e.getValue()));
        }
        System.out.println("Wrote " + samples.size() + " seeds to " + dir.toAbsolutePath());
        assertEquals(samples.size(), List.of(dir.toFile().list((d, n) -> n.startsWith(PREFIX))).size());
    }
}
