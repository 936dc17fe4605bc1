"""Templates: components composed into whole objects (WorkflowTemplates in either layout,
``compose``, the platform library, Argo Events triggers, CronWorkflows, RBAC, fleets).

Modules here import the model and the components, never the lint, client, display or command
line.
"""
