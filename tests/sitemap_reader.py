"""Reading the sitemaps as a crawler does (cooperation/sitemaps.py): /sitemap.xml, a sitemap
index, then every section it names, each parsed with lxml."""

from urllib.parse import urlsplit

from lxml import etree

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
NS = {"s": SITEMAP, "xhtml": XHTML}


def parse(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def path_of(address):
    """The address as the test client requests it: path and query, no scheme or host."""
    parts = urlsplit(address)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class Sitemap:
    """The index (`index`, its root element), and per section address its root element
    (`sections`) and its text (`texts`)."""

    def __init__(self, client):
        self.index = parse(client.get("/sitemap.xml"))
        assert self.index.tag == f"{{{SITEMAP}}}sitemapindex"
        self.sections, self.texts = {}, {}
        for address in self.index.xpath("s:sitemap/s:loc/text()", namespaces=NS):
            response = client.get(path_of(address))
            self.sections[address] = parse(response)
            self.texts[address] = response.content.decode()
            assert self.sections[address].tag == f"{{{SITEMAP}}}urlset", address

    def urls(self, section=None):
        """The <url> elements of one section, or of all."""
        roots = [self.sections[section]] if section else self.sections.values()
        return [url for root in roots for url in root.xpath("s:url", namespaces=NS)]

    def locations(self, section=None):
        return [url.findtext(f"{{{SITEMAP}}}loc") for url in self.urls(section)]

    @property
    def text(self):
        return "".join(self.texts.values())


def alternates(url):
    """{hreflang: href} of one <url> element."""
    return {
        link.get("hreflang"): link.get("href")
        for link in url.xpath("xhtml:link[@rel='alternate']", namespaces=NS)
    }
