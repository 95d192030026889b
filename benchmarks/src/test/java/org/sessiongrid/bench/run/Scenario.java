package org.sessiongrid.bench.run;

import java.util.List;

import org.sessiongrid.it.load.LoadClient;

/**
 * One load shape, the same for every contender: balancing, share of reads, session size.
 *
 * @param id short name used in file names and tables
 * @param title what the report calls it
 * @param mode sticky or round-robin balancing
 * @param readRate share of requests that only read the session (the rest increment the counter and rewrite
 *        the payload)
 * @param payloadBytes size of the {@code payload} attribute each write replaces
 */
public record Scenario(String id, String title, LoadClient.Mode mode, double readRate, int payloadBytes) {

    public static final Scenario STICKY_WRITES = new Scenario("a", "(a) sticky, every request writes, 1 KiB",
            LoadClient.Mode.STICKY, 0, 1024);
    public static final Scenario STICKY_READS = new Scenario("b", "(b) sticky, 90% reads, 1 KiB",
            LoadClient.Mode.STICKY, 0.9, 1024);
    public static final Scenario ROUND_ROBIN_WRITES = new Scenario("c", "(c) round-robin, every request writes, 1 KiB",
            LoadClient.Mode.ROUND_ROBIN, 0, 1024);
    public static final Scenario STICKY_WRITES_16K = new Scenario("a16k", "(a) sticky, every request writes, 16 KiB",
            LoadClient.Mode.STICKY, 0, 16 * 1024);
    public static final Scenario STICKY_WRITES_100K = new Scenario("a100k",
            "(a) sticky, every request writes, 100 KiB", LoadClient.Mode.STICKY, 0, 100 * 1024);

    public static List<Scenario> all() {
        return List.of(STICKY_WRITES, STICKY_READS, ROUND_ROBIN_WRITES, STICKY_WRITES_16K, STICKY_WRITES_100K);
    }
}
