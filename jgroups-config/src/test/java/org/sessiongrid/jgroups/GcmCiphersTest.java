package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

/** {@link GcmCiphers}: a key's ciphers are lent one message at a time and reused, whatever thread asks. */
class GcmCiphersTest {

    @Test
    void aCipherGivenBackIsLentAgain() {
        GcmCiphers ciphers = new GcmCiphers();
        Cipher first = ciphers.take();
        ciphers.give(first);
        assertSame(first, ciphers.take());
    }

    /** JGroups on Java 21 and later delivers each message on a new virtual thread. */
    @Test
    void messagesEachOnANewThreadReuseOneCipher() throws InterruptedException {
        GcmCiphers ciphers = new GcmCiphers();
        Set<Cipher> used = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 3; i++) {
            AtomicReference<Cipher> lent = new AtomicReference<>();
            Thread t = new Thread(() -> {
                lent.set(ciphers.take());
                ciphers.give(lent.get());
            });
            t.start();
            t.join();
            used.add(lent.get());
        }
        assertEquals(1, used.size());
    }

    @Test
    void messagesAtTheSameTimeGetCiphersOfTheirOwn() {
        GcmCiphers ciphers = new GcmCiphers();
        Cipher one = ciphers.take();
        Cipher other = ciphers.take();
        assertNotSame(one, other);
    }

    @Test
    void keepsAtMostEightIdle() {
        GcmCiphers ciphers = new GcmCiphers();
        List<Cipher> lent = new ArrayList<>();
        for (int i = 0; i <= GcmCiphers.KEPT; i++) {
            lent.add(ciphers.take());
        }
        lent.forEach(ciphers::give);
        Set<Cipher> given = Collections.newSetFromMap(new IdentityHashMap<>());
        given.addAll(lent);
        for (int i = 0; i < GcmCiphers.KEPT; i++) {
            assertTrue(given.contains(ciphers.take()), "an idle one");
        }
        assertTrue(!given.contains(ciphers.take()), "a new one: the last given back was dropped");
    }
}
