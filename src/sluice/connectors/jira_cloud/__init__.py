"""Jira Cloud (AWS-managed connector `JiraCloud`; connectors layer): a source on the shared REST layer.

AppFlow's managed Jira Cloud connector (user guide: connectors-jira-cloud.html) reads Jira Software
data with an OAuth 2.0 (3LO) app's tokens. The connector itself (`api.py`: hosts, tokens and the
site's cloud id; `jql.py`: filters and windows as JQL; `fields.py`: issue fields from the site's
field list; `connector.py`: objects) is imported on first use; docs/connectors/jira-cloud.md
describes it.
"""

from sluice.connectors.rest.spec import rest_spec

# The managed label; also names the endpoint override `SLUICE_ENDPOINT_URL_JIRACLOUD`, which stands
# for Atlassian's platform hosts (api.atlassian.com, auth.atlassian.com).
CONNECTOR_TYPE = "JiraCloud"

# The managed catalog supplies the ConnectorConfiguration (`managed/catalog.py`).
SPEC = rest_spec(CONNECTOR_TYPE, {"canUseAsSource": True}, "sluice.connectors.jira_cloud.connector")
