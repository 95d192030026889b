package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link SEAL} on its own: what it opens and what it drops, and why. */
class SealTest {

    private static final String CLUSTER = "shop";
    private static final String SECRET = "correct horse battery staple";
    private static final String OTHER = "another secret, long enough";

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Address alice = UUID.randomUUID();
    private final Address bob = UUID.randomUUID();
    private final Address carol = UUID.randomUUID();

    private SEAL member(Address self, String... secrets) {
        SEAL seal = new SEAL(SealKeys.derive(CLUSTER, List.of(secrets)), clock::get);
        seal.setAddress(self);
        return seal;
    }

    private static Message hello(Address to) {
        return new BytesMessage(to, "hello".getBytes(StandardCharsets.UTF_8)).setFlag(Message.Flag.OOB);
    }

    @Test
    void opensWhatASecretHolderSealedWithEverythingIntact() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message sealed = a.seal(hello(bob));
        assertEquals(bob, sealed.getDest());
        assertTrue(sealed.isFlagSet(Message.Flag.OOB), "flags stay visible to the transport");

        Message opened = b.open(sealed, alice);
        assertNotNull(opened);
        assertEquals(alice, opened.getSrc());
        assertEquals(bob, opened.getDest());
        assertTrue(opened.isFlagSet(Message.Flag.OOB));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), opened.getArray());
        assertEquals(Map.of(), b.dropped());
    }

    @Test
    void dropsAReplayOfAMessageItAcceptedAndCountsIt() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message sealed = a.seal(hello(bob));
        assertNotNull(b.open(sealed, alice));
        assertNull(b.open(sealed, alice));
        assertNull(b.open(copy(sealed), alice));
        assertEquals(Map.of("replayed", 2L), b.dropped());
    }

    /**
     * A member that first hears from a sender refuses what the sender sealed long before (beyond the
     * first-contact margin), and accepts, once, the few messages that lost a race with the first.
     */
    @Test
    void dropsMessagesFromWellBeforeTheFirstItHeardFromThatSender() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message early = a.seal(new BytesMessage(null, new byte[] {1}));
        for (int i = 0; i < ReplayWindow.FIRST_CONTACT_MARGIN; i++) {
            a.seal(new BytesMessage(null, new byte[] {2}));
        }
        Message overtaken = a.seal(new BytesMessage(null, new byte[] {3}));
        Message first = a.seal(new BytesMessage(null, new byte[] {4}));
        assertNotNull(b.open(first, alice));
        assertNotNull(b.open(overtaken, alice), "a message that lost a race with the first");
        assertNull(b.open(overtaken, alice));
        assertNull(b.open(early, alice), "a multicast sent long before bob first heard from alice");
        assertEquals(Map.of("replayed", 2L), b.dropped());
    }

    @Test
    void acceptsMessagesThatOvertookEachOtherOnce() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message first = a.seal(hello(bob));
        Message second = a.seal(hello(bob));
        Message third = a.seal(hello(bob));
        assertNotNull(b.open(first, alice));
        assertNotNull(b.open(third, alice));
        assertNotNull(b.open(second, alice));
        assertNull(b.open(second, alice));
    }

    @Test
    void dropsWhatAnotherSecretOrNoSecretSent() throws Exception {
        SEAL b = member(bob, SECRET);
        assertNull(b.open(member(carol, OTHER).seal(hello(bob)), carol));
        assertNull(b.open(hello(bob).setSrc(carol), carol));
        assertEquals(Map.of("other-secret", 1L, "unsealed", 1L), b.dropped());
    }

    @Test
    void dropsAlteredMessages() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message sealed = a.seal(hello(bob));
        for (int i = 6; i < sealed.getLength(); i += 7) {
            Message altered = copy(sealed);
            altered.getArray()[altered.getOffset() + i] ^= 0x01;
            assertNull(b.open(altered, alice), "byte " + i + " altered");
        }
        // Bytes 6..37 are the incarnation, counter and clock, the rest ciphertext and tag: all authenticated.
        assertEquals(Map.of("forged", (long) ((sealed.getLength() - 6 + 6) / 7)), b.dropped());
        assertNotNull(b.open(sealed, alice), "the original still opens");
    }

    @Test
    void dropsMessagesForAnotherMemberOrFromAnotherSender() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        assertNull(b.open(a.seal(hello(carol)), alice), "captured on its way to carol");
        assertNull(b.open(a.seal(hello(bob)), carol), "carol's connection carrying alice's message");
        assertEquals(Map.of("misdirected", 1L, "spoofed", 1L), b.dropped());
    }

    @Test
    void dropsMessagesSealedTooLongAgo() throws Exception {
        SEAL a = member(alice, SECRET);
        SEAL b = member(bob, SECRET);
        Message sealed = a.seal(hello(bob));
        clock.addAndGet(SEAL.MAX_AGE_MILLIS + 1);
        assertNull(b.open(sealed, alice));
        assertEquals(Map.of("stale", 1L), b.dropped());
    }

    /** Rotation: a member sealing with the new secret and one still sealing with the old both hold both. */
    @Test
    void membersHoldingBothSecretsTalkWhicheverTheySealWith() throws Exception {
        SEAL oldFirst = member(alice, OTHER, SECRET);
        SEAL newFirst = member(bob, SECRET, OTHER);
        assertNotNull(newFirst.open(oldFirst.seal(hello(bob)), alice));
        assertNotNull(oldFirst.open(newFirst.seal(hello(alice)), bob));
        SEAL onlyNew = member(carol, SECRET);
        assertNull(onlyNew.open(oldFirst.seal(hello(carol)), alice), "the old secret is gone from carol");
    }

    @Test
    void refusesShortSecretsAndTheSameSecretTwice() {
        assertThrows(IllegalArgumentException.class, () -> SealKeys.derive(CLUSTER, List.of("short")));
        assertThrows(IllegalArgumentException.class, () -> SealKeys.derive(CLUSTER, List.of(SECRET, SECRET)));
    }

    @Test
    void oneSecretInTwoClustersGivesUnrelatedKeys() throws Exception {
        SEAL shop = member(alice, SECRET);
        SEAL other = new SEAL(SealKeys.derive("other-cluster", List.of(SECRET)), clock::get);
        other.setAddress(bob);
        assertNull(other.open(shop.seal(hello(bob)), alice));
        assertEquals(Map.of("other-secret", 1L), other.dropped());
    }

    private static Message copy(Message sealed) {
        byte[] bytes = java.util.Arrays.copyOfRange(sealed.getArray(), sealed.getOffset(),
                sealed.getOffset() + sealed.getLength());
        return new BytesMessage(sealed.getDest(), bytes).setSrc(sealed.getSrc());
    }
}
