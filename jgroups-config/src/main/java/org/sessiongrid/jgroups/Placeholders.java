package org.sessiongrid.jgroups;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Substitutes {@code ${name}}, {@code ${name:default}} and {@code ${a,b:default}} placeholders
 * with JGroups' syntax but stricter semantics: JGroups silently substitutes nothing for an unset
 * placeholder without default and also reads environment variables; here a missing value is an
 * error, and only the overrides and system properties count, so a stack resolves the same way
 * wherever the container's environment comes from.
 *
 * <p>One instance serves one stack (including the files it includes) and collects every missing
 * property, so the operator learns about all of them from one failed start.
 */
final class Placeholders {

    private static final String START = "${";
    private static final char END = '}';

    private final String stackDescription;
    private final Properties overrides;
    /** Unresolvable placeholders, keyed by their first name, with all their alternative names. */
    private final Map<String, List<String>> missing = new LinkedHashMap<>();

    /**
     * @param stackDescription names the stack in error messages, e.g. {@code stack 'tcp'}
     * @param overrides        consulted before system properties; may be {@code null}
     */
    Placeholders(String stackDescription, Properties overrides) {
        this.stackDescription = stackDescription;
        this.overrides = overrides != null ? overrides : new Properties();
    }

    /**
     * Returns {@code value} with its placeholders replaced. A placeholder without value and default
     * is replaced by "" and remembered for {@link #failIfMissing()}.
     *
     * @param where names the value's place in messages, e.g. "attribute bind_port of &lt;TCP&gt;"
     * @throws StackConfigurationException if a placeholder is malformed, or a property's value
     *         itself contains "${"
     */
    String substitute(String value, String where) throws StackConfigurationException {
        int start = value.indexOf(START);
        if (start < 0) {
            return value;
        }
        StringBuilder result = new StringBuilder(value.length());
        int from = 0;
        while (start >= 0) {
            int end = value.indexOf(END, start + START.length());
            if (end < 0) {
                throw new StackConfigurationException(stackDescription + ": " + where + ": placeholder '"
                        + value.substring(start) + "' has no closing '}'");
            }
            String body = value.substring(start + START.length(), end);
            if (body.contains(START)) {
                throw new StackConfigurationException(stackDescription + ": " + where + ": nested placeholder in '"
                        + value.substring(start, end + 1) + "' is not supported");
            }
            result.append(value, from, start).append(lookup(body, where));
            from = end + 1;
            start = value.indexOf(START, from);
        }
        return result.append(value, from, value.length()).toString();
    }

    /**
     * Resolves one placeholder body. As in JGroups, the first ':' separates the names from the
     * default (so a default such as {@code match-interface:eth0} keeps its own ':'), and each name
     * is looked up in the overrides and then in the system properties before the next name is tried.
     */
    private String lookup(String body, String where) throws StackConfigurationException {
        int colon = body.indexOf(':');
        String names = colon < 0 ? body : body.substring(0, colon);
        String defaultValue = colon < 0 ? null : body.substring(colon + 1).trim();
        List<String> alternatives = Arrays.stream(names.split(","))
                .map(String::trim)
                .filter(name -> !name.isEmpty())
                .toList();
        if (alternatives.isEmpty()) {
            throw new StackConfigurationException(stackDescription + ": " + where + ": placeholder '${" + body
                    + "}' names no property");
        }
        for (String name : alternatives) {
            String value = overrides.getProperty(name);
            if (value == null) {
                value = System.getProperty(name);
            }
            if (value != null) {
                // JGroups substitutes placeholders once more when it builds the channel, and its
                // syntax has no escape: the value would be silently changed.
                if (value.contains(START)) {
                    throw new StackConfigurationException(stackDescription + ": the value of property " + name
                            + " contains '${', which JGroups would substitute again; choose a value without '${'");
                }
                return value;
            }
        }
        if (defaultValue != null) {
            return defaultValue;
        }
        missing.putIfAbsent(alternatives.get(0), alternatives);
        return "";
    }

    /**
     * Throws if any placeholder seen so far had neither a value nor a default.
     *
     * @throws StackConfigurationException naming the stack and every missing property
     */
    void failIfMissing() throws StackConfigurationException {
        if (missing.isEmpty()) {
            return;
        }
        List<String> described = new ArrayList<>();
        for (List<String> alternatives : missing.values()) {
            described.add(alternatives.size() == 1
                    ? alternatives.get(0)
                    : alternatives.get(0) + " (or " + String.join(" or ", alternatives.subList(1, alternatives.size())) + ")");
        }
        String first = missing.keySet().iterator().next();
        if (described.size() == 1) {
            throw new StackConfigurationException(stackDescription + " needs property " + described.get(0)
                    + " (set it as a system property -D" + first + "=... or in the container configuration)");
        }
        throw new StackConfigurationException(stackDescription + " needs properties " + String.join(", ", described)
                + " (set them as system properties, e.g. -D" + first + "=..., or in the container configuration)");
    }
}
