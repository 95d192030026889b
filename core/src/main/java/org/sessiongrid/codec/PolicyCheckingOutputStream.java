package org.sessiongrid.codec;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;

import org.sessiongrid.codec.DeserializationPolicy.Verdict;

/**
 * Records the first class the policy would reject on read. It records rather than throws,
 * because ObjectOutputStream serializes a failure into the stream itself and an exception
 * from this hook would then replace the original one. One stream per {@link AttributeEncoder#encode}, on the
 * thread that encodes.
 */
final class PolicyCheckingOutputStream extends ObjectOutputStream {
    private final DeserializationPolicy policy;
    String violation;

    PolicyCheckingOutputStream(OutputStream out, DeserializationPolicy policy) throws IOException {
        super(out);
        this.policy = policy;
    }

    @Override
    protected void annotateClass(Class<?> cl) {
        check(cl);
    }

    @Override
    protected void annotateProxyClass(Class<?> cl) {
        for (Class<?> i : cl.getInterfaces()) {
            check(i);
        }
    }

    private void check(Class<?> cl) {
        Class<?> c = cl;
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (violation != null || c.isPrimitive()) {
            return;
        }
        Verdict v = policy.verdict(c.getName(), c.getModule().getName(), true);
        if (v.rejected()) {
            violation = ReadState.describeRejection(v, c.getName(), policy, false);
        }
    }
}
