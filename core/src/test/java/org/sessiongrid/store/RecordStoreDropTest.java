package org.sessiongrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionKey;
import org.sessiongrid.session.SessionRecord;

/**
 * Dropping a segment while its records are being written keeps the store and its expiry index in step:
 * a record the store holds is in the index, or it would never expire here (and a record the index names
 * is in the store). The drop removes each record and its index entry in one step.
 */
class RecordStoreDropTest {

    private static final int KEYS = 2_000;

    private static SessionRecord record(int i, long version) {
        return SessionRecord.create(new SessionKey("localhost/drop", "S" + i), version,
                SessionDelta.builder().maxInactiveInterval(60).build(), 0);
    }

    @Test
    void aDropRacingWritesLeavesNoRecordOutOfTheExpiryIndex() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        int rounds = 0;
        while (System.nanoTime() < until) {
            rounds++;
            RecordStore store = new RecordStore(1);
            for (int i = 0; i < KEYS; i++) {
                store.put(record(i, 1));
            }
            // The writer follows the drop key by key, in the order the drop visits them.
            List<SessionRecord> newer = new ArrayList<>();
            store.records(0).forEach(r -> newer.add(r.withMeta(r.meta(), 2)));
            CyclicBarrier start = new CyclicBarrier(2);
            Thread writer = new Thread(() -> {
                await(start);
                newer.forEach(store::put);
            });
            writer.start();
            await(start);
            store.dropSegment(0);
            writer.join();

            Set<SessionKey> held = new HashSet<>();
            store.records(0).forEach(r -> held.add(r.key()));
            Set<SessionKey> indexed = new HashSet<>(store.expiryIndex().due(Long.MAX_VALUE - 1, Integer.MAX_VALUE));
            Set<SessionKey> notIndexed = new HashSet<>(held);
            notIndexed.removeAll(indexed);
            Set<SessionKey> notHeld = new HashSet<>(indexed);
            notHeld.removeAll(held);
            assertEquals(Set.of(), notIndexed, "records held but missing from the expiry index, round " + rounds);
            assertEquals(Set.of(), notHeld, "keys in the expiry index of records not held, round " + rounds);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
