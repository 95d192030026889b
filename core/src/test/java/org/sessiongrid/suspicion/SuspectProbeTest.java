package org.sessiongrid.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.stack.Protocol;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probe between a VERIFY_SUSPECT2 whose own fixed-rate task never runs (it is not started) and a transport
 * that swallows what is sent: the verdict on a silent suspect comes when the verification's timeout is over,
 * a suspect that answered is kept, and the check travels out of band.
 */
class SuspectProbeTest {

    private static final long TIMEOUT_MILLIS = 400;

    /** Stands for GMS: records the suspects passed up, with when they arrived. */
    private static final class Gms extends Protocol {
        final Map<Address, Long> suspectedAt = new ConcurrentHashMap<>();

        @Override
        public Object up(Event evt) {
            if (evt.getType() == Event.SUSPECT) {
                long now = System.nanoTime();
                for (Object a : (Collection<?>) evt.getArg()) {
                    suspectedAt.putIfAbsent((Address) a, now);
                }
            }
            return null;
        }
    }

    /** Stands for the transport: keeps every message sent, answers no question. */
    private static final class Wire extends Protocol {
        final List<Message> sent = new CopyOnWriteArrayList<>();

        @Override
        public Object down(Message msg) {
            sent.add(msg);
            return null;
        }

        @Override
        public Object down(Event evt) {
            return null;
        }
    }

    private final Gms gms = new Gms();
    private final VERIFY_SUSPECT2 verifier = new VERIFY_SUSPECT2().setTimeout(TIMEOUT_MILLIS);
    private final SuspectProbe probe = new SuspectProbe("T", () -> { });
    private final Wire wire = new Wire();

    @BeforeEach
    void stack() throws Exception {
        gms.setDownProtocol(verifier);
        verifier.setUpProtocol(gms);
        verifier.setDownProtocol(probe);
        probe.setUpProtocol(verifier);
        probe.setDownProtocol(wire);
        wire.setUpProtocol(probe);
        probe.start();
    }

    @AfterEach
    void stop() {
        probe.stop();
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(5 * TIMEOUT_MILLIS).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void aSilentSuspectIsPassedUpWhenItsTimeoutIsOver() throws Exception {
        // The first suspicion loads JGroups' classes for the check (a second on a loaded machine): not timed.
        Address first = UUID.randomUUID();
        probe.up(new Event(Event.SUSPECT, List.of(first)));
        await("the verdict on the first suspect reached GMS", () -> gms.suspectedAt.containsKey(first));
        Address silent = UUID.randomUUID();
        long suspected = System.nanoTime();
        probe.up(new Event(Event.SUSPECT, List.of(silent)));
        await("the verdict on the silent suspect reached GMS", () -> gms.suspectedAt.containsKey(silent));
        long millis = (gms.suspectedAt.get(silent) - suspected) / 1_000_000;
        assertTrue(millis >= TIMEOUT_MILLIS && millis < TIMEOUT_MILLIS + 200,
                "the verdict came " + millis + " ms after the suspicion, timeout " + TIMEOUT_MILLIS + " ms");
    }

    @Test
    void aSuspectThatAnsweredIsKept() throws Exception {
        Address answers = UUID.randomUUID();
        Address silent = UUID.randomUUID();
        probe.up(new Event(Event.SUSPECT, List.of(answers)));
        probe.up(new Event(Event.SUSPECT, List.of(silent)));
        verifier.unsuspect(answers); // what its I_AM_NOT_DEAD does
        await("the verdict on the silent suspect, suspected after the other, reached GMS",
                () -> gms.suspectedAt.containsKey(silent));
        assertFalse(gms.suspectedAt.containsKey(answers), "a suspect that answered was passed up");
    }

    @Test
    void theCheckTravelsOutOfBand() {
        probe.up(new Event(Event.SUSPECT, List.of(UUID.randomUUID())));
        assertEquals(1, wire.sent.size(), "ARE_YOU_DEAD sent");
        assertTrue(wire.sent.get(0).isFlagSet(Message.Flag.OOB), "ARE_YOU_DEAD is out of band");
    }
}
