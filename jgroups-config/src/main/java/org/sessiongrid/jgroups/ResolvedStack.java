package org.sessiongrid.jgroups;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.jgroups.conf.ConfiguratorFactory;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.ProtocolStackConfigurator;
import org.jgroups.conf.XmlConfigurator;
import org.jgroups.conf.XmlNode;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * A stack file parsed as XML, with its placeholders substituted and its {@code <include>}s
 * expanded, ready to become a channel or JGroups-readable text.
 *
 * <p>The file is parsed with the JDK's XML parser rather than handed to JGroups as text because
 * JGroups 5.5 reads stack files with its own minimal parser: it reads bytes as characters (so
 * non-ASCII is garbled), decodes no entities ({@code &amp;amp;} stays {@code &amp;amp;}), drops
 * backslashes and cannot carry {@code <} or {@code >} inside a value. A substituted password or
 * Windows path would be silently changed. Building JGroups' {@link ProtocolConfiguration}s from the
 * parsed document passes every value through unchanged.
 */
final class ResolvedStack {

    private static final String CONFIG = "config";
    private static final String INCLUDE = "include";
    private static final String INCLUDE_FILE = "file";
    /** Deeper than any sensible layering; stops a file that (indirectly) includes itself. */
    private static final int MAX_INCLUDE_DEPTH = 8;

    private final String description;
    private final Element root;

    private ResolvedStack(String description, Element root) {
        this.description = description;
        this.root = root;
    }

    /**
     * Parses a stack file, substitutes every placeholder and expands includes.
     *
     * @param overrides consulted before system properties; may be {@code null}
     * @throws StackConfigurationException if the file or an included file is not well-formed XML or
     *         cannot be found, or a placeholder is malformed or has no value and no default
     */
    static ResolvedStack load(StackSource source, Properties overrides) throws StackConfigurationException {
        Placeholders placeholders = new Placeholders(source.description(), overrides);
        Element root = parse(source.content(), source.description()).getDocumentElement();
        expand(root, true, placeholders, source.description(), 0);
        placeholders.failIfMissing();
        return new ResolvedStack(source.description(), root);
    }

    /** The phrase naming the stack in messages, e.g. {@code stack file /etc/grid.xml}. */
    String description() {
        return description;
    }

    /** The stack as JGroups' configurator, for {@code new JChannel(ProtocolStackConfigurator)}. */
    ProtocolStackConfigurator configurator() throws StackConfigurationException {
        if (!CONFIG.equals(localName(root))) {
            throw new StackConfigurationException(description + ": the root element is <" + localName(root)
                    + ">, but a JGroups stack starts with <config>");
        }
        try {
            List<ProtocolConfiguration> protocols = XmlConfigurator.parseProtocols(toXmlNode(root));
            return new ParsedConfigurator(protocols);
        } catch (Exception e) {
            throw new StackConfigurationException(description + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the stack in the XML dialect JGroups' own parser reads back to the same values:
     * {@code "} is escaped with a backslash, entities are not used.
     *
     * @throws StackConfigurationException if a value contains a character that parser cannot carry
     */
    String toJGroupsXml() throws StackConfigurationException {
        StringBuilder out = new StringBuilder(4096).append("<config xmlns=\"urn:org:jgroups\">\n");
        for (Element protocol : childElements(root)) {
            write(protocol, 1, out);
        }
        return out.append("</config>\n").toString();
    }

    private void write(Element element, int depth, StringBuilder out) throws StackConfigurationException {
        String indent = "    ".repeat(depth);
        out.append(indent).append('<').append(localName(element));
        for (Attr attribute : configAttributes(element)) {
            out.append(' ').append(attribute.getName()).append("=\"")
                    .append(encode(attribute.getValue(), attribute, element)).append('"');
        }
        List<Element> children = childElements(element);
        if (children.isEmpty()) {
            out.append("/>\n");
            return;
        }
        out.append(">\n");
        for (Element child : children) {
            write(child, depth + 1, out);
        }
        out.append(indent).append("</").append(localName(element)).append(">\n");
    }

    private String encode(String value, Attr attribute, Element element) throws StackConfigurationException {
        StringBuilder encoded = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean control = c < 0x20 && c != '\t' && c != '\n' && c != '\r';
            // JGroups drops every backslash (it escapes the next character), so '\\' cannot be written.
            if (c == '<' || c == '>' || c == '\\' || c > 0x7e || control) {
                // The value may be a password: say where it is, never what it is.
                throw new StackConfigurationException(description + ": " + where(attribute, element)
                        + " has a value JGroups' stack-file parser cannot read back (it contains '<', '>', '\\',"
                        + " a control character or a non-ASCII character); create the channel with"
                        + " StackLoader.newChannel(), which passes values to JGroups unchanged");
            }
            if (c == '"') {
                encoded.append('\\');
            }
            encoded.append(c);
        }
        return encoded.toString();
    }

    private static Document parse(byte[] content, String description) throws StackConfigurationException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            // Stack files may come from a URL: no DTDs, no external entities.
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            // The default handler prints "[Fatal Error] ..." to stderr before throwing.
            builder.setErrorHandler(new ErrorHandler() {
                @Override
                public void warning(SAXParseException e) {
                    // Warnings do not change the document.
                }

                @Override
                public void error(SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return builder.parse(new InputSource(new ByteArrayInputStream(content)));
        } catch (SAXParseException e) {
            throw new StackConfigurationException(description + ": not well-formed XML at line " + e.getLineNumber()
                    + ", column " + e.getColumnNumber() + ": " + e.getMessage(), e);
        } catch (SAXException | IOException e) {
            throw new StackConfigurationException(description + ": not well-formed XML: " + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a standard feature", e);
        }
    }

    /**
     * Substitutes the placeholders of {@code element}'s attributes and of its descendants'. Includes
     * are honoured only directly under the root, where JGroups honours them.
     */
    private static void expand(Element element, boolean isRoot, Placeholders placeholders, String description,
                               int includeDepth) throws StackConfigurationException {
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            attribute.setValue(placeholders.substitute(attribute.getValue(), where(attribute, element)));
        }
        for (Element child : childElements(element)) {
            if (isRoot && INCLUDE.equals(localName(child))) {
                expandInclude(child, placeholders, description, includeDepth);
            } else {
                expand(child, false, placeholders, description, includeDepth);
            }
        }
    }

    /**
     * Replaces an {@code <include file="..."/>} by the protocols of that file, looked up the way
     * JGroups looks it up (file, URL, class-path resource). Any other attribute of the include
     * element is set on each included protocol, as JGroups does.
     */
    private static void expandInclude(Element include, Placeholders placeholders, String description,
                                      int includeDepth) throws StackConfigurationException {
        for (Attr attribute : configAttributes(include)) {
            attribute.setValue(placeholders.substitute(attribute.getValue(), where(attribute, include)));
        }
        String file = include.getAttribute(INCLUDE_FILE).trim();
        if (file.isEmpty()) {
            throw new StackConfigurationException(description + ": <include> needs a file attribute");
        }
        if (includeDepth >= MAX_INCLUDE_DEPTH) {
            throw new StackConfigurationException(description + ": includes are nested deeper than "
                    + MAX_INCLUDE_DEPTH + " levels at <include file=\"" + file + "\">; does a file include itself?");
        }
        String includedDescription = description + ", included file " + file;
        byte[] content;
        try (InputStream in = ConfiguratorFactory.getConfigStream(file)) {
            if (in == null) {
                throw new StackConfigurationException(includedDescription
                        + " was found neither as a file, a URL nor a class-path resource");
            }
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new StackConfigurationException(includedDescription + " could not be read: " + e, e);
        }
        Element includedRoot = parse(content, includedDescription).getDocumentElement();
        expand(includedRoot, true, placeholders, includedDescription, includeDepth + 1);

        List<Element> included = CONFIG.equals(localName(includedRoot)) ? childElements(includedRoot) : List.of(includedRoot);
        Node parent = include.getParentNode();
        Document document = include.getOwnerDocument();
        for (Element protocol : included) {
            Element imported = (Element) document.importNode(protocol, true);
            for (Attr attribute : configAttributes(include)) {
                if (!INCLUDE_FILE.equals(attribute.getName())) {
                    imported.setAttribute(attribute.getName(), attribute.getValue());
                }
            }
            parent.insertBefore(imported, include);
        }
        parent.removeChild(include);
    }

    /** Converts to JGroups' own document model, which its configurator builds protocols from. */
    private static XmlNode toXmlNode(Element element) {
        XmlNode node = new XmlNode(localName(element));
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Attr attribute : configAttributes(element)) {
            attributes.put(attribute.getName(), attribute.getValue());
        }
        node.setAttributes(attributes);
        List<XmlNode> children = new ArrayList<>();
        for (Element child : childElements(element)) {
            children.add(toXmlNode(child));
        }
        // JGroups iterates the root's children without a null check.
        node.setChildren(children);
        return node;
    }

    /** Attributes other than namespace declarations and schema hints, which JGroups would reject. */
    private static List<Attr> configAttributes(Element element) {
        NamedNodeMap attributes = element.getAttributes();
        List<Attr> result = new ArrayList<>(attributes.getLength());
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            String namespace = attribute.getNamespaceURI();
            if (!XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(namespace)
                    && !XMLConstants.W3C_XML_SCHEMA_INSTANCE_NS_URI.equals(namespace)) {
                result.add(attribute);
            }
        }
        return result;
    }

    private static List<Element> childElements(Element element) {
        List<Element> children = new ArrayList<>();
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element childElement) {
                children.add(childElement);
            }
        }
        return children;
    }

    private static String localName(Element element) {
        return element.getLocalName() != null ? element.getLocalName() : element.getTagName();
    }

    private static String where(Attr attribute, Element element) {
        return "attribute " + attribute.getName() + " of <" + localName(element) + ">";
    }

    /** Hands the already parsed protocols to JGroups, bypassing its text parser. */
    private record ParsedConfigurator(List<ProtocolConfiguration> protocols) implements ProtocolStackConfigurator {

        @Override
        public List<ProtocolConfiguration> getProtocolStack() {
            return protocols;
        }

        @Override
        public String getProtocolStackString() {
            return protocols.stream().map(ProtocolConfiguration::getProtocolString)
                    .reduce((below, above) -> below + ":" + above).orElse("");
        }
    }
}
