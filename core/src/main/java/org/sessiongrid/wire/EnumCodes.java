package org.sessiongrid.wire;

import static org.sessiongrid.wire.MalformedMessageException.Reason.INVALID_VALUE;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * The wire codes of one enum's constants, each given explicitly rather than taken from its position
 * in the enum: reordering, renaming or inserting a constant cannot change what goes on the wire, and
 * a constant added without a code fails when the codec class is loaded rather than on some peer.
 *
 * <p>Immutable.
 *
 * @param <E> the enum
 */
final class EnumCodes<E extends Enum<E>> {

    private final String what;
    private final EnumMap<E, Integer> codeOf;
    private final Object[] byCode;

    private EnumCodes(Class<E> type, String what, Map<E, Integer> codes) {
        this.what = what;
        this.codeOf = new EnumMap<>(type);
        this.byCode = new Object[256];
        for (E e : type.getEnumConstants()) {
            Integer code = codes.get(e);
            if (code == null) {
                throw new IllegalStateException(what + " " + e + " has no wire code");
            }
            if (code < 0 || code > 255 || byCode[code] != null) {
                throw new IllegalStateException(what + " code " + code + " of " + e + " is out of range or taken");
            }
            codeOf.put(e, code);
            byCode[code] = e;
        }
    }

    /**
     * The table of {@code type}: {@code constantsAndCodes} alternates a constant and its code. Every
     * constant must have exactly one code in 0..255, and no two the same.
     */
    static <E extends Enum<E>> EnumCodes<E> of(Class<E> type, String what, Object... constantsAndCodes) {
        if (constantsAndCodes.length % 2 != 0) {
            throw new IllegalArgumentException("constants and codes come in pairs");
        }
        Map<E, Integer> codes = new EnumMap<>(type);
        for (int i = 0; i < constantsAndCodes.length; i += 2) {
            E constant = type.cast(constantsAndCodes[i]);
            if (codes.put(constant, (Integer) constantsAndCodes[i + 1]) != null) {
                throw new IllegalStateException(what + " " + constant + " has two wire codes");
            }
        }
        return new EnumCodes<>(type, what, codes);
    }

    int code(E constant) {
        return codeOf.get(constant);
    }

    /** Every constant with its code, in the enum's order: what the pinning test compares. */
    Map<E, Integer> codes() {
        return new EnumMap<>(codeOf);
    }

    void write(WireWriter w, E constant) {
        w.u8(code(constant));
    }

    @SuppressWarnings("unchecked")
    E read(WireReader r) throws MalformedMessageException {
        int code = r.u8(what);
        E e = (E) byCode[code];
        if (e == null) {
            throw new MalformedMessageException(INVALID_VALUE, what + " " + code + " unknown");
        }
        return e;
    }

    @Override
    public String toString() {
        return what + " " + Arrays.toString(codeOf.entrySet().toArray());
    }
}
