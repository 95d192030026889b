package org.sessiongrid.bench;

import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.sessiongrid.session.Attribute;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionMeta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.store.RecordStore;

/**
 * What storing one write costs a member that holds the session (a backup applying the primary's change, or
 * the primary storing its own): the record replaced in its segment's map and its expiry moved in the expiry
 * index, among {@code sessions} held records. Every write is a request of the session's user, so its access
 * time, and with it the expiry, moves later. Average time per operation, one thread; compare runs of the
 * same machine only.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class StoreBenchmark {

    @Param({"10000"})
    public int sessions;

    private RecordStore store;
    private SessionKey[] keys;
    private long clock = 1_700_000_000_000L;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        store = new RecordStore(256);
        keys = new SessionKey[sessions];
        Random random = new Random(42);
        for (int i = 0; i < sessions; i++) {
            keys[i] = new SessionKey("localhost/shop", Long.toHexString(random.nextLong()) + Long.toHexString(i));
            TreeMap<String, Attribute> attrs = new TreeMap<>();
            attrs.put("payload", new Attribute(new byte[1024], 1));
            store.put(new SessionRecord(keys[i], 1, new SessionMeta(clock, clock + i, 1800, true, null), attrs));
        }
    }

    /** One write of a session: its access time moves to "now", a few milliseconds after its previous one. */
    @Benchmark
    public SessionRecord storeWrite() {
        SessionKey key = keys[next];
        next = next + 1 == keys.length ? 0 : next + 1;
        long now = clock += 3;
        return store.compute(key, (k, old) -> old.withMeta(old.meta().withLastAccessedTime(now), old.version() + 1));
    }
}
