"""What Zappa does not create: the CloudFormation template, its resources as boto3 arguments, and infra_apply."""
