package org.sessiongrid.jgroups;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** {@link GcmCiphers}: a thread that uses keys in turn keeps one cipher per key, so no key is expanded twice. */
class GcmCiphersTest {

    private static SecretKeySpec key(int n) {
        byte[] k = new byte[32];
        k[0] = (byte) n;
        return new SecretKeySpec(k, "AES");
    }

    @Test
    void aThreadAlternatingKeysKeepsACipherPerKey() {
        SecretKeySpec own = key(1);
        SecretKeySpec peer = key(2);
        Cipher sealing = GcmCiphers.forKey(own);
        Cipher opening = GcmCiphers.forKey(peer);
        assertNotSame(sealing, opening);
        assertSame(sealing, GcmCiphers.forKey(own));
        assertSame(opening, GcmCiphers.forKey(peer));
    }

    @Test
    void aKeyInUseKeepsItsCipherWhileAsManyOthersAsAFarmHasComeAndGone() {
        List<SecretKeySpec> peers = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            peers.add(key(10 + i));
        }
        SecretKeySpec own = key(1);
        Cipher sealing = GcmCiphers.forKey(own);
        for (SecretKeySpec p : peers) {
            GcmCiphers.forKey(p);
        }
        assertSame(sealing, GcmCiphers.forKey(own));
    }

    @Test
    void threadsDoNotShareCiphers() throws InterruptedException {
        SecretKeySpec own = key(1);
        AtomicReference<Cipher> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(GcmCiphers.forKey(own)));
        t.start();
        t.join();
        assertNotSame(other.get(), GcmCiphers.forKey(own));
    }
}
