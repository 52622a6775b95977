"""The AWS-managed connectors, one declaration per `connectorLabel` (connectors layer).

The list is the set of applications AppFlow's user guide documents with a page of their own built
on the Custom Connector SDK ("Supported source and destination applications",
https://docs.aws.amazon.com/appflow/latest/userguide/app-specific.html); the 24 built-in
`ConnectorType`s are not repeated here. Each page says whether the application is a source, a
destination or both, and how a connection authenticates.

Labels: where a public definition shows the label AppFlow accepts, it is that label - the
cdk-appflow construct library (cdklabs/cdk-appflow, `src/<app>/type.ts` and the integration
stacks' CloudFormation snapshots) shows `GitHub`, `HubSpot`, `Asana`, `GoogleAnalytics4`,
`Mailchimp`, `MicrosoftDynamics365`, `MicrosoftSharePointOnline`, `SalesforceMarketingCloud`,
`GoogleAds`, `GoogleBigQuery`, `AmazonRDSPostgreSQL` and, for the user guide's JDBC page,
`JDBCsmall`. Those stacks also show each one's authentication (custom scheme names and their
`credentialsMap` keys, OAuth 2.0 grant and token URL), profile properties and API versions. The
other labels are the application's name without spaces or punctuation (no public definition -
CDK, CloudFormation or Terraform sample, AWS sample repository, SDK call - shows theirs; searched
December 2026), and their schemes, token URLs and profile properties follow their user-guide
page's "Connecting" section: an "Instance URL" field there is the `instanceUrl` profile property,
as it is for Mailchimp, Dynamics 365 and Marketing Cloud in the CDK stacks; a console choice of
authentication type is a custom scheme of that name (`unconfirmed` for its key).
docs/connectors/managed.md lists which is which.
"""

from __future__ import annotations

from dataclasses import replace

from sluice.connectors.managed.declaration import (
    CustomAuth,
    Managed,
    OAuth2,
    Param,
    Setting,
    instance_url,
    plain,
    secret,
)

GUIDE = "https://docs.aws.amazon.com/appflow/latest/userguide/"
CDK = "cdklabs/cdk-appflow"

GOOGLE = OAuth2(("https://oauth2.googleapis.com/token",),
                auth_code_urls=("https://accounts.google.com/o/oauth2/auth",))
# Microsoft identity platform: the tenant (or `common`) is one path segment.
MICROSOFT = OAuth2(("https://login.microsoftonline.com/common/oauth2/v2.0/token",
                    "https://login.microsoftonline.com/{{tenant}}/oauth2/v2.0/token"),
                   auth_code_urls=("https://login.microsoftonline.com/common/oauth2/v2.0/authorize",))
META = OAuth2(("https://graph.facebook.com/oauth/access_token",
               "https://graph.facebook.com/{{version}}/oauth/access_token"),
              auth_code_urls=("https://www.facebook.com/{{version}}/dialog/oauth",))
LINKEDIN = OAuth2(("https://www.linkedin.com/oauth/v2/accessToken",))


def _database(drivers: tuple[str, ...]) -> CustomAuth:
    """The JDBC-style custom scheme: the connection's coordinates travel with the credentials.

    With one driver on offer (RDS for PostgreSQL) the driver may be left out; given, it must be that one.
    """
    return CustomAuth("CUSTOM", (
        plain("username", "User name"),
        secret("password", "Password"),
        plain("driver", "Driver", required=len(drivers) > 1, choices=drivers),
        plain("hostname", "Host name"),
        plain("port", "Port"),
        plain("database", "Database"),
    ))


def unconfirmed(param: Param) -> Param:
    """A credential whose `credentialsMap` key no public definition shows.

    The user guide names the custom scheme (the console's "Select authentication type" choice) and
    the field's label, not the key AppFlow stores it under. Sluice's key is a reading of the label
    (or of a sibling connector's scheme: Asana's `PAT` takes `patToken`), declared not required so a
    profile that spells the key otherwise is not refused on a guess.
    """
    return replace(param, required=False)


MANAGED: tuple[Managed, ...] = (
    Managed("AdobeAnalytics", "Adobe Analytics", "Business analysis reports from Adobe Analytics",
            oauth2=OAuth2(("https://ims-na1.adobelogin.com/ims/token/v3",)),
            source_doc=GUIDE + "connectors-adobeanalytics.html"),
    Managed("AfterShip", "AfterShip", "Shipping, tracking and logistics data from AfterShip",
            api_key=True, source_doc=GUIDE + "connectors-aftership.html"),
    Managed("AmazonRDSPostgreSQL", "Amazon RDS for PostgreSQL", "Tables in an Amazon RDS for PostgreSQL database",
            source=False, destination=True, custom=(_database(("postgresql",)),), api_versions=("1.0",),
            write_operations=("INSERT", "UPDATE", "UPSERT"),
            source_doc=GUIDE + "connectors-amazon-rds-postgres-sql.html; " + CDK),
    Managed("Asana", "Asana", "Workspaces, projects, tasks and teams from Asana",
            oauth2=OAuth2(("https://app.asana.com/-/oauth_token",)),
            custom=(CustomAuth("PAT", (secret("patToken", "Personal access token"),)),),
            api_versions=("1.0",), source_doc=GUIDE + "connectors-asana.html; " + CDK),
    Managed("BambooHR", "BambooHR", "Employee reports, files and benefits from BambooHR",
            api_key=True, settings=(instance_url("Company subdomain URL"),),
            source_doc=GUIDE + "connectors-bamboohr.html"),
    Managed("BlackbaudRaisersEdgeNXT", "Blackbaud Raisers Edge NXT",
            "Nonprofit CRM data from Blackbaud Raisers Edge NXT",
            oauth2=OAuth2(("https://oauth2.sky.blackbaud.com/token",)),
            source_doc=GUIDE + "connectors-blackbaudraisersedgenxt.html"),
    Managed("Braintree", "Braintree", "Transactions from Braintree",
            basic=True, settings=(instance_url("Braintree instance URL"),),
            source_doc=GUIDE + "connectors-braintree.html"),
    Managed("CircleCI", "CircleCI", "Projects, pipelines and workflows from CircleCI",
            api_key=True, source_doc=GUIDE + "connectors-circleci.html"),
    Managed("Coupa", "Coupa", "Business spend management data from Coupa",
            oauth2=OAuth2(("https://{{instance}}/oauth2/token",), grants=("CLIENT_CREDENTIALS",)),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-coupa.html"),
    Managed("Delighted", "Delighted", "Survey responses from Delighted",
            api_key=True, source_doc=GUIDE + "connectors-delighted.html"),
    Managed("DocuSignMonitor", "DocuSign Monitor", "Monitoring data from DocuSign Monitor",
            oauth2=OAuth2(("https://account.docusign.com/oauth/token", "https://account-d.docusign.com/oauth/token")),
            source_doc=GUIDE + "connectors-docusign-monitor.html"),
    Managed("Domo", "Domo", "Datasets and data permission policies from Domo",
            oauth2=OAuth2(("https://api.domo.com/oauth/token",), grants=("CLIENT_CREDENTIALS",)),
            source_doc=GUIDE + "connectors-domo.html"),
    Managed("FacebookAds", "Facebook Ads", "Ads data from the Facebook Marketing API",
            oauth2=META, settings=(instance_url("Facebook instance URL"),),
            source_doc=GUIDE + "connectors-facebook-ads.html"),
    Managed("FacebookPageInsights", "Facebook Page Insights", "Performance and visitors of Facebook Pages",
            oauth2=META, source_doc=GUIDE + "connectors-facebook-page-insights.html"),
    Managed("Freshdesk", "Freshdesk", "Customer engagements from Freshdesk",
            api_key=True, settings=(instance_url(),), source_doc=GUIDE + "connectors-freshdesk.html"),
    Managed("Freshsales", "Freshsales", "Accounts, contacts and deals from Freshsales",
            api_key=True, settings=(instance_url(),), source_doc=GUIDE + "connectors-freshsales.html"),
    Managed("GitHub", "GitHub", "Repositories, issues, pull requests and commits from GitHub",
            oauth2=OAuth2(("https://github.com/login/oauth/access_token",),
                          auth_code_urls=("https://github.com/login/oauth/authorize",)),
            custom=(CustomAuth("BasicAuthPersonalAccessToken", (
                plain("username", "User name"), secret("personalAccessToken", "Personal access token"))),),
            api_versions=("v3",), source_doc=GUIDE + "connectors-github.html; " + CDK),
    Managed("GitLab", "GitLab", "Projects and repositories from GitLab",
            oauth2=OAuth2(("https://gitlab.com/oauth/token",)),
            custom=(CustomAuth("PersonalAccessToken", (
                unconfirmed(secret("personalAccessToken", "Personal access token")),)),),
            source_doc=GUIDE + "connectors-gitlab.html"),
    Managed("GoogleAds", "Google Ads", "Campaigns, ad groups and ads from Google Ads",
            oauth2=GOOGLE,
            settings=(Setting("developerToken", "Developer token"),
                      Setting("apiVersion", "API version", required=False),
                      Setting("managerID", "Manager account ID", required=False)),
            api_versions=("v16",), source_doc=GUIDE + "connectors-google-ads.html; " + CDK),
    Managed("GoogleAnalytics4", "Google Analytics 4", "Website usage reports from Google Analytics 4",
            oauth2=GOOGLE, api_versions=("v1beta",),
            source_doc=GUIDE + "connectors-google-analytics-4.html; " + CDK),
    Managed("GoogleBigQuery", "Google BigQuery", "Tables and query results from Google BigQuery",
            oauth2=GOOGLE, api_versions=("v2",), source_doc=GUIDE + "connectors-googlebigquery.html; " + CDK),
    Managed("GoogleCalendar", "Google Calendar", "Calendars, access control rules and events from Google Calendar",
            oauth2=GOOGLE, source_doc=GUIDE + "connectors-google-calendar.html"),
    Managed("GoogleSearchConsole", "Google Search Console", "Sites and search traffic from Google Search Console",
            oauth2=GOOGLE, source_doc=GUIDE + "connectors-google-search-console.html"),
    Managed("GoogleSheets", "Google Sheets", "Spreadsheets and their rows from Google Sheets",
            oauth2=GOOGLE, source_doc=GUIDE + "connectors-google-sheets.html"),
    Managed("HubSpot", "HubSpot", "Marketing, sales and service records in HubSpot",
            destination=True,
            oauth2=OAuth2(("https://api.hubapi.com/oauth/v1/token",),
                          auth_code_urls=("https://app.hubspot.com/oauth/authorize",)),
            api_versions=("v1", "v2", "v3", "v4"), write_operations=("INSERT", "UPDATE", "UPSERT"),
            source_doc=GUIDE + "connectors-hubspot.html; " + CDK),
    Managed("InstagramAds", "Instagram Ads", "Ads data for Instagram from the Facebook Marketing API",
            oauth2=META, source_doc=GUIDE + "connectors-instagram-ads.html"),
    Managed("Intercom", "Intercom", "Customer engagements from Intercom",
            oauth2=OAuth2(("https://api.intercom.io/auth/eagle/token", "https://api.eu.intercom.io/auth/eagle/token",
                           "https://api.au.intercom.io/auth/eagle/token"),
                          auth_code_urls=("https://app.intercom.com/oauth", "https://app.eu.intercom.com/oauth",
                                          "https://app.au.intercom.com/oauth")),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-intercom.html"),
    Managed("JDBCsmall", "JDBC", "Tables in relational databases reached through JDBC",
            destination=True, custom=(_database(("postgresql", "mysql")),), api_versions=("V1",),
            write_operations=("INSERT", "UPDATE", "UPSERT"),
            source_doc=GUIDE + "connectors-jdbc.html; " + CDK),
    Managed("JiraCloud", "Jira Cloud", "Projects, issues and users from Jira Cloud",
            oauth2=OAuth2(("https://auth.atlassian.com/oauth/token",),
                          auth_code_urls=("https://auth.atlassian.com/authorize",)),
            settings=(instance_url("Jira Cloud instance URL"),), source_doc=GUIDE + "connectors-jira-cloud.html"),
    Managed("Kustomer", "Kustomer", "Users, companies, apps and settings from Kustomer",
            api_key=True, settings=(instance_url(),), source_doc=GUIDE + "connectors-kustomer.html"),
    Managed("LinkedInAds", "LinkedIn Ads", "Ads and campaigns from LinkedIn Ads",
            oauth2=LINKEDIN, source_doc=GUIDE + "connectors-linkedin-ads.html"),
    Managed("LinkedInPages", "LinkedIn Pages", "Pages, followers and engagement from LinkedIn Pages",
            oauth2=LINKEDIN, source_doc=GUIDE + "connectors-linkedin-pages.html"),
    Managed("Mailchimp", "Mailchimp", "Email campaigns, lists and reports from Mailchimp",
            oauth2=OAuth2(("https://login.mailchimp.com/oauth2/token",)),
            custom=(CustomAuth("api_key", (secret("api_key", "API key"),)),),
            settings=(instance_url("Mailchimp API URL"),), api_versions=("3.0",),
            source_doc=GUIDE + "connectors-mailchimp.html; " + CDK),
    Managed("MicrosoftDynamics365", "Microsoft Dynamics 365", "Business records from Microsoft Dynamics 365",
            oauth2=MICROSOFT, settings=(instance_url("Dynamics 365 instance URL"),), api_versions=("v9.2",),
            source_doc=GUIDE + "connectors-microsoft-dynamics-365.html; " + CDK),
    Managed("MicrosoftSharePointOnline", "Microsoft SharePoint Online",
            "Documents from Microsoft SharePoint Online sites",
            oauth2=MICROSOFT,
            settings=(Setting("subEntities", "Drives or folders to transfer", required=False, scope="SOURCE"),),
            api_versions=("v1.0",), source_doc=GUIDE + "connectors-microsoft-sharepoint-online.html; " + CDK),
    Managed("MicrosoftTeams", "Microsoft Teams", "Teams, groups and channels from Microsoft Teams",
            oauth2=MICROSOFT, source_doc=GUIDE + "connectors-microsoft-teams.html"),
    Managed("Mixpanel", "Mixpanel", "User engagement data from Mixpanel",
            basic=True, settings=(instance_url("Mixpanel instance URL"),),
            source_doc=GUIDE + "connectors-mixpanel.html"),
    Managed("Okta", "Okta", "Users, groups, devices and applications from Okta",
            oauth2=OAuth2(("https://{{domain}}/oauth2/v1/token",)),
            custom=(CustomAuth("Okta_API_Token", (unconfirmed(secret("oktaApiToken", "Okta API token")),)),),
            settings=(instance_url("Okta domain URL"),),
            source_doc=GUIDE + "connectors-okta.html"),
    Managed("OracleHCM", "Oracle HCM", "Human resources data from Oracle HCM",
            basic=True, settings=(instance_url(),), source_doc=GUIDE + "connectors-oracle-hcm.html"),
    Managed("PayPal", "PayPal", "Transactions from PayPal",
            oauth2=OAuth2(("https://api-m.paypal.com/v1/oauth2/token",
                          "https://api-m.sandbox.paypal.com/v1/oauth2/token"),
                          grants=("CLIENT_CREDENTIALS",)),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-paypal.html"),
    Managed("Pendo", "Pendo", "Product usage data from Pendo",
            api_key=True, source_doc=GUIDE + "connectors-pendo.html"),
    Managed("Pipedrive", "Pipedrive", "Deals, contacts and proposals from Pipedrive",
            oauth2=OAuth2(("https://oauth.pipedrive.com/oauth/token",)),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-pipedrive.html"),
    Managed("Productboard", "Productboard", "Roadmap projects from Productboard",
            api_key=True, source_doc=GUIDE + "connectors-productboard.html"),
    Managed("QuickBooksOnline", "QuickBooks Online", "Accounts, customers and invoices from QuickBooks Online",
            oauth2=OAuth2(("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",)),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-quickbooks-online.html"),
    Managed("Recharge", "Recharge", "Customers, transactions and subscriptions from Recharge",
            api_key=True, source_doc=GUIDE + "connectors-recharge.html"),
    Managed("SalesforceMarketingCloud", "Salesforce Marketing Cloud",
            "Marketing campaign data from Salesforce Marketing Cloud",
            oauth2=OAuth2(("https://{{subdomain}}.auth.marketingcloudapis.com/v2/token",),
                          grants=("CLIENT_CREDENTIALS", "AUTHORIZATION_CODE")),
            settings=(instance_url("REST base URI"),), api_versions=("v1",),
            source_doc=GUIDE + "connectors-salesforce-marketing-cloud.html; " + CDK),
    Managed("SendGrid", "SendGrid", "Lists, segments and campaigns from SendGrid",
            api_key=True, source_doc=GUIDE + "connectors-sendgrid.html"),
    Managed("Smartsheet", "Smartsheet", "Sheets from Smartsheet",
            oauth2=OAuth2(("https://api.smartsheet.com/2.0/token", "https://api.smartsheet.eu/2.0/token"),
                          auth_code_urls=("https://api.smartsheet.com/b/authorize",
                                          "https://api.smartsheet.eu/b/authorize")),
            settings=(instance_url(),), source_doc=GUIDE + "connectors-smartsheet.html"),
    Managed("SnapchatAds", "Snapchat Ads", "Ads, campaigns and segments from Snapchat Ads",
            oauth2=OAuth2(("https://accounts.snapchat.com/login/oauth2/access_token",)),
            source_doc=GUIDE + "connectors-snapchat-ads.html"),
    Managed("Stripe", "Stripe", "Charges, customers and other transactions from Stripe",
            api_key=True, source_doc=GUIDE + "connectors-stripe.html"),
    Managed("Typeform", "Typeform", "Forms and responses from Typeform",
            oauth2=OAuth2(("https://api.typeform.com/oauth/token",)),
            custom=(CustomAuth("PAT", (unconfirmed(secret("patToken", "Personal access token")),)),),
            source_doc=GUIDE + "connectors-typeform.html"),
    Managed("WooCommerce", "WooCommerce", "Orders, products and customers from a WooCommerce store",
            api_key=True, settings=(instance_url("Store URL"),), source_doc=GUIDE + "connectors-woocommerce.html"),
    Managed("ZendeskChat", "Zendesk Chat", "Customer conversations from Zendesk Chat",
            oauth2=OAuth2(("https://www.zopim.com/oauth2/token",)), source_doc=GUIDE + "connectors-zendesk-chat.html"),
    Managed("ZendeskSell", "Zendesk Sell", "Sales opportunities from Zendesk Sell",
            oauth2=OAuth2(("https://api.getbase.com/oauth2/token",)),
            source_doc=GUIDE + "connectors-zendesk-sell.html"),
    Managed("ZendeskSunshine", "Zendesk Sunshine", "Zendesk objects and their relationships from Zendesk Sunshine",
            oauth2=OAuth2(("https://{{subdomain}}.zendesk.com/oauth/tokens",),
                          auth_code_urls=("https://{{subdomain}}.zendesk.com/oauth/authorizations/new",)),
            settings=(Setting("instanceUrl", "Instance URL", required=False),),
            source_doc=GUIDE + "connectors-zendesk-sunshine.html"),
    Managed("ZohoCRM", "Zoho CRM", "Sales and marketing records in Zoho CRM",
            destination=True, oauth2=OAuth2(("https://accounts.zoho.com/oauth/v2/token",
                          "https://accounts.{{domain}}/oauth/v2/token")),
            settings=(instance_url(),),
            write_operations=("INSERT", "UPDATE", "UPSERT"), source_doc=GUIDE + "connectors-zoho-crm.html"),
    Managed("Zoom", "Zoom", "Users, groups and rooms from Zoom",
            oauth2=OAuth2(("https://zoom.us/oauth/token",)), source_doc=GUIDE + "connectors-zoom.html"),
)

BY_LABEL: dict[str, Managed] = {declaration.label: declaration for declaration in MANAGED}
